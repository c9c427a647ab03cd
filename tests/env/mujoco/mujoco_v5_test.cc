// The v5 MuJoCo tasks and environment keyword arguments: observation sizes (Gymnasium's v5
// tables), the v5 reward rules that differ from v4, keyword arguments reaching the task, and one
// clear error for every bad keyword. Step-for-step equality with Gymnasium's v5 tasks is
// python/tests/test_alignment.py's (it needs Gymnasium's MuJoCo).
#include <cmath>
#include <fstream>

#include "env/mujoco/mujoco_env.h"
#include "ratchet/env.h"
#include "test_util.h"

namespace ratchet {
namespace {

using testing::ErrorOf;

TEST(MujocoV5, ObservationSizesAreGymnasiums) {
  const std::pair<const char*, int> sizes[] = {
      {"HalfCheetah-v5", 17}, {"Hopper-v5", 11}, {"Walker2d-v5", 17}, {"Ant-v5", 105}, {"Humanoid-v5", 348},
      {"Swimmer-v5", 8}, {"InvertedPendulum-v5", 4}, {"InvertedDoublePendulum-v5", 9}, {"Reacher-v5", 10}};
  for (const auto& [id, n] : sizes) {
    EXPECT_EQ(EnvSpecOf(id).observation_space.flat_dim(), n) << id;
    EXPECT_EQ(MakeEnv(id)->spec().observation_space.flat_dim(), n) << id;
  }
  // the switches change the size as Gymnasium's do
  EXPECT_EQ(EnvSpecOf("Ant-v5", {{"include_cfrc_ext_in_observation", "false"}}).observation_space.flat_dim(), 27);
  EXPECT_EQ(EnvSpecOf("Ant-v5", {{"exclude_current_positions_from_observation", "false"}}).observation_space.flat_dim(), 107);
  EXPECT_EQ(EnvSpecOf("Humanoid-v5", {{"include_cinert_in_observation", "False"}, {"include_cvel_in_observation", "0"}})
                .observation_space.flat_dim(), 348 - 130 - 78);
  EXPECT_EQ(EnvSpecOf("HalfCheetah-v5", {{"exclude_current_positions_from_observation", "false"}})
                .observation_space.flat_dim(), 18);
}

// Steps `env` with zero actions until it terminates (at most n steps); the last step's result.
StepResult RunToEnd(Env& env, int n) {
  std::vector<float> obs(env.spec().observation_space.flat_dim());
  std::vector<float> act(env.spec().action_space.flat_dim(), 0.0f);
  env.Reset(5, obs);
  StepResult r;
  for (int t = 0; t < n && !r.terminated; ++t) r = env.Step(act, obs);
  return r;
}

TEST(MujocoV5, TheHealthyRewardIsWithheldOnTheTerminatingStep) {
  // a hopper standing still falls within a few hundred steps; v4 pays the healthy reward on that
  // step (its quirk), v5 does not
  auto v4 = MakeEnv("Hopper-v4"), v5 = MakeEnv("Hopper-v5");
  const StepResult a = RunToEnd(*v4, 1000), b = RunToEnd(*v5, 1000);
  ASSERT_TRUE(a.terminated);
  ASSERT_TRUE(b.terminated);
  EXPECT_DOUBLE_EQ(v5->info().Get("reward_survive"), 0.0);
  EXPECT_NEAR(a.reward - b.reward, 1.0, 0.05);  // same fall, same step: the healthy reward apart
  auto ip = MakeEnv("InvertedPendulum-v5");
  const StepResult c = RunToEnd(*ip, 1000);
  ASSERT_TRUE(c.terminated);
  EXPECT_EQ(c.reward, 0.0);
}

TEST(MujocoV5, KeywordArgumentsReachTheTask) {
  std::vector<float> obs(17), act(6, 0.5f);
  auto base = MakeEnv("HalfCheetah-v5"), heavy = MakeEnv("HalfCheetah-v5", -1, {{"ctrl_cost_weight", "1.0"}});
  base->Reset(1, obs);
  heavy->Reset(1, obs);
  base->Step(act, obs);
  heavy->Step(act, obs);
  EXPECT_DOUBLE_EQ(base->info().Get("reward_ctrl"), -0.1 * 6 * 0.25);
  EXPECT_DOUBLE_EQ(heavy->info().Get("reward_ctrl"), -1.0 * 6 * 0.25);
  // frame_skip sets dt; Walker2d-v5 takes v4's model by its name
  EXPECT_DOUBLE_EQ(EnvSpecOf("Hopper-v5", {{"frame_skip", "2"}}).dt, 0.004);
  EXPECT_NO_THROW(MakeEnv("Walker2d-v5", -1, {{"xml_file", "walker2d.xml"}}));
  // terminate_when_unhealthy: false runs the whole episode
  auto never = MakeEnv("Hopper-v5", -1, {{"terminate_when_unhealthy", "false"}});
  EXPECT_FALSE(RunToEnd(*never, 1000).terminated);
}

TEST(MujocoV5, AModelFileOfYourOwnIsLoadedAndRecorded) {
  const auto dir = testing::FreshDir("v5_xml");
  const std::string path = (dir / "my_cheetah.xml").string();
  {
    std::ifstream in(std::string(RATCHET_SOURCE_DIR) + "/src/env/mujoco/models/half_cheetah.xml");
    std::ofstream out(path);
    out << in.rdbuf();
  }
  const EnvSpec s = EnvSpecOf("HalfCheetah-v5", {{"xml_file", path}});
  EXPECT_EQ(s.observation_space.flat_dim(), 17);
  EXPECT_EQ(s.model_file.rfind(path + " fnv1a:", 0), 0u) << s.model_file;
}

TEST(MujocoV5, EveryBadKeywordIsOneClearError) {
  EXPECT_NE(ErrorOf([] { MakeEnv("Ant-v5", -1, {{"bogus", "1"}}); }).find("unknown keyword argument 'bogus'; it takes: "),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { MakeEnv("Ant-v4", -1, {{"ctrl_cost_weight", "1"}}); }).find("takes no keyword arguments"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { MakeEnv("CartPole-v1", -1, {{"x", "1"}}); }).find("CartPole-v1: takes no keyword"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { MakeEnv("Ant-v5", -1, {{"ctrl_cost_weight", "heavy"}}); }).find("is not a finite number"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { MakeEnv("Ant-v5", -1, {{"frame_skip", "0"}}); }).find("an integer in [1, 1000]"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { MakeEnv("Ant-v5", -1, {{"healthy_z_range", "[1, 0]"}}); }).find("low <= high"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { MakeEnv("Ant-v5", -1, {{"terminate_when_unhealthy", "maybe"}}); }).find("a boolean"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { MakeEnv("Ant-v5", -1, {{"xml_file", "nope.xml"}}); }).find("is not a built-in model"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { MakeEnv("Ant-v5", -1, {{"xml_file", "/nonexistent/ant.xml"}}); }).find("cannot read"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { MakeEnv("Ant-v5", -1, {{"main_body", "tail"}}); }).find("needs a body named 'tail'"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { MakeEnv("Reacher-v5", -1, {{"xml_file", "hopper.xml"}}); }).find("four joints"),
            std::string::npos);
}

TEST(EnvKwargsText, FormatsAndParsesBackExactly) {
  const EnvKwargs kw = {{"a", "1"}, {"b", "[0.2, inf]"}, {"c", "./my model, v2.xml"}, {"d", "true"}, {"e", "say \"hi\""}};
  const std::string text = FormatEnvKwargs(kw);
  EXPECT_EQ(text, "{a: 1, b: [0.2, inf], c: \"./my model, v2.xml\", d: true, e: \"say \\\"hi\\\"\"}");
  EXPECT_EQ(ParseEnvKwargs(text), kw);
  EXPECT_TRUE(ParseEnvKwargs("").empty());
  EXPECT_TRUE(ParseEnvKwargs(" {} ").empty());
  for (const char* bad : {"a: 1", "{a 1}", "{a: 1, a: 2}", "{: 1}", "{a b: 1}", "{a: [1, 2}", "{a: }"})
    EXPECT_THROW(ParseEnvKwargs(bad), Error) << bad;
}

}  // namespace
}  // namespace ratchet
