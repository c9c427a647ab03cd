// A user's environment from outside the library: RegisterEnv and its checks, EnvBase (seeding,
// saved state, action checks), and everything the trainer offers built-in environments (PPO and
// TRPO training, bit-identical stop + resume, evaluation, export acting like evaluation).
#include <fmt/format.h>

#include "point_mass.h"  // examples/custom_env: the environment the README shows
#include "ratchet/deploy.h"
#include "ratchet/train.h"
#include "test_util.h"

namespace ratchet {
namespace {

using testing::ErrorOf;

// Registers PointMass-v0 for the tests of this file (once per process).
void RegisterPointMass() {
  static const bool once = [] {
    RegisterEnv("PointMass-v0", [] { return std::make_unique<PointMass>(); },
                {.max_episode_steps = 50, .reward_threshold = -15.0, .description = "test"});
    return true;
  }();
  (void)once;
}

// An environment that implements dynamics only: no Serialize.
class Drifter final : public EnvBase {
 public:
  Drifter() : EnvBase(MakeSpec()) {}
  static EnvSpec MakeSpec() {
    EnvSpec s;
    s.id = "Drifter";
    s.observation_space = Space::Box({-10}, {10});
    s.action_space = Space::Discrete(3);
    s.max_episode_steps = 20;
    return s;
  }

 protected:
  void OnReset(std::span<float> obs) override { obs[0] = x_ = static_cast<float>(rng().Uniform(-1, 1)); }
  StepResult OnStep(std::span<const float> a, std::span<float> obs) override {
    x_ += 0.1f * (a[0] - 1.0f);
    obs[0] = x_;
    return {-std::abs(x_), false, false};
  }

 private:
  float x_ = 0;
};

// Throws an int from its step: not a std::exception.
class Thrower final : public EnvBase {
 public:
  Thrower() : EnvBase(Drifter::MakeSpec()) {}

 protected:
  void OnReset(std::span<float> obs) override { obs[0] = 0.0f; }
  StepResult OnStep(std::span<const float>, std::span<float>) override { throw 42; }
};

TEST(RegisterEnvTest, ForeignExceptionsFromAnEnvBecomeErrorsNamingIt) {
  static const bool once = [] {
    RegisterEnv("Thrower-v0", [] { return std::make_unique<Thrower>(); });
    return true;
  }();
  (void)once;
  std::unique_ptr<Env> env = MakeEnv("Thrower-v0");
  std::vector<float> obs(1);
  env->Reset(1, obs);
  const float a = 0.0f;
  const std::string why = ErrorOf([&] { env->Step({&a, 1}, obs); });
  EXPECT_NE(why.find("environment 'Thrower-v0': Step threw something that is not a std::exception"), std::string::npos)
      << why;
}

TEST(RegisterEnvTest, ARegisteredEnvIsListedWithItsOptions) {
  RegisterPointMass();
  const auto ids = ListEnvs();
  EXPECT_NE(std::find(ids.begin(), ids.end(), "PointMass-v0"), ids.end());
  EXPECT_EQ(ids.front(), "CartPole-v0");  // built-ins first
  const EnvSpec s = EnvSpecOf("PointMass-v0");
  EXPECT_EQ(s.max_episode_steps, 50);  // the option wins over the env's own 100
  EXPECT_EQ(*s.reward_threshold, -15.0);
  EXPECT_EQ(EnvSourceOf("PointMass-v0"), "");
  EXPECT_EQ(EnvDescriptionOf("PointMass-v0"), "test");
  auto env = MakeEnv("PointMass-v0");
  EXPECT_EQ(env->spec().id, "PointMass-v0");
  std::vector<float> obs(6), a = {0.1f, -0.1f};
  env->Reset(3, obs);
  StepResult r;
  int steps = 0;
  do {
    r = env->Step(a, obs);
    ++steps;
  } while (!r.truncated && !r.terminated);
  EXPECT_EQ(steps, 50);
  EXPECT_TRUE(r.truncated);
}

TEST(RegisterEnvTest, BadRegistrationsAreRefusedWithOneLine) {
  RegisterPointMass();
  auto make = [] { return std::make_unique<PointMass>(); };
  EXPECT_NE(ErrorOf([&] { RegisterEnv("PointMass-v0", make); }).find("already registered"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { RegisterEnv("CartPole-v1", make); }).find("built-in"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { RegisterEnv("", make); }).find("empty id"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { RegisterEnv("bad id", make); }).find("letters, digits"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { RegisterEnv("NoFactory-v0", nullptr); }).find("factory is empty"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { RegisterEnv("Throws-v0", []() -> std::unique_ptr<Env> { throw Error("boom"); }); })
                .find("factory failed: boom"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { RegisterEnv("Null-v0", [] { return std::unique_ptr<Env>(); }); }).find("no environment"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { RegisterEnv("Neg-v0", make, {.max_episode_steps = -5}); }).find("max_episode_steps"),
            std::string::npos);
  // an invalid spec: bounds out of order, NaN, and a Discrete observation space
  struct BadSpec final : EnvBase {
    explicit BadSpec(EnvSpec s) : EnvBase(std::move(s)) {}
    void OnReset(std::span<float>) override {}
    StepResult OnStep(std::span<const float>, std::span<float>) override { return {}; }
  };
  auto with = [](Space obs, Space act) {
    return [obs, act] {
      EnvSpec s;
      s.observation_space = obs;
      s.action_space = act;
      return std::make_unique<BadSpec>(s);
    };
  };
  EXPECT_NE(ErrorOf([&] { RegisterEnv("Bad1-v0", with(Space::Box({1}, {0}), Space::Discrete(2))); }).find("ordered"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { RegisterEnv("Bad2-v0", with(Space::Box({0}, {1}), Space::Box({NAN}, {1}))); }).find("NaN"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { RegisterEnv("Bad3-v0", with(Space::Discrete(4), Space::Discrete(2))); }).find("must be a Box"),
            std::string::npos);
  for (const char* id : {"Bad1-v0", "Bad2-v0", "Bad3-v0", "Throws-v0"}) EXPECT_THROW(EnvSpecOf(id), Error);
  EXPECT_FALSE(UnregisterEnv("CartPole-v1"));
  RegisterEnv("Temporary-v0", make);
  EXPECT_TRUE(UnregisterEnv("Temporary-v0"));
  EXPECT_NE(ErrorOf([] { MakeEnv("Temporary-v0"); }).find("RegisterEnv"), std::string::npos);
}

TEST(EnvBaseTest, SeedsSavesAndChecksActions) {
  PointMass a, b;
  std::vector<float> oa(6), ob(6);
  a.Reset(7, oa);
  b.Reset(7, ob);
  EXPECT_EQ(oa, ob);
  const std::vector<float> act = {0.3f, -0.7f};
  for (int k = 0; k < 5; ++k) a.Step(act, oa);
  EXPECT_EQ(a.episode_steps(), 5);
  ASSERT_TRUE(a.can_save_state());
  const std::vector<uint8_t> saved = a.SaveState();
  // the continuation, including the next episode's random reset, is the same after a restore
  std::vector<float> cont_a, cont_b;
  for (int k = 0; k < 3; ++k) {
    a.Step(act, oa);
    cont_a.insert(cont_a.end(), oa.begin(), oa.end());
  }
  a.Reset(oa);
  cont_a.insert(cont_a.end(), oa.begin(), oa.end());
  b.RestoreState(saved);
  EXPECT_EQ(b.episode_steps(), 5);
  for (int k = 0; k < 3; ++k) {
    b.Step(act, ob);
    cont_b.insert(cont_b.end(), ob.begin(), ob.end());
  }
  b.Reset(ob);
  cont_b.insert(cont_b.end(), ob.begin(), ob.end());
  EXPECT_EQ(cont_a, cont_b);
  EXPECT_THROW(b.RestoreState(std::vector<uint8_t>(saved.begin(), saved.end() - 1)), Error);
  EXPECT_NE(ErrorOf([&] { a.Step(std::vector<float>{NAN, 0}, oa); }).find("not a finite"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { a.Step(std::vector<float>{0}, oa); }).find("expected 2"), std::string::npos);

  Drifter d;
  std::vector<float> o(1);
  d.Reset(1, o);
  for (float bad : {3.0f, -1.0f, 0.5f, NAN})
    EXPECT_NE(ErrorOf([&] { d.Step(std::vector<float>{bad}, o); }).find("whole number in [0, 3)"), std::string::npos);
  EXPECT_FALSE(d.can_save_state());
  EXPECT_NE(ErrorOf([&] { d.SaveState(); }).find("'Drifter' does not save its state"), std::string::npos);
}

RunConfig PointMassConfig(const std::string& algo, std::vector<std::string> sets) {
  RegisterPointMass();
  ResolveOptions o;
  o.algo = algo;
  o.env = "PointMass-v0";
  o.seed = 3;
  o.sets = std::move(sets);
  return ResolveRunConfig(o);
}

class CustomEnvTrainingTest : public ::testing::TestWithParam<const char*> {};

TEST_P(CustomEnvTrainingTest, TrainsResumesBitExactlyEvaluatesAndExports) {
  const std::string algo = GetParam();
  const std::vector<std::string> sets = {"n_envs=4", "n_steps=200", "n_timesteps=4800", "eval_episodes=3",
                                         "checkpoint_every=2", "normalize_obs=true"};
  const auto whole = testing::FreshDir("custom_whole_" + algo);
  RunConfig a = PointMassConfig(algo, sets);
  const TrainResult ra = Train(a, whole, {});
  EXPECT_EQ(ra.steps, 4800);
  ASSERT_TRUE(ra.eval.has_value());
  EXPECT_TRUE(std::isfinite(ra.eval->mean));

  auto with_stop = sets;
  with_stop.push_back("stop_at=2400");
  const auto parts = testing::FreshDir("custom_parts_" + algo);
  RunConfig b = PointMassConfig(algo, with_stop);
  EXPECT_TRUE(Train(b, parts, {}).stopped);
  const TrainResult rb = Resume(parts, {});
  EXPECT_EQ(rb.steps, 4800);
  EXPECT_EQ(testing::ReadFile(whole / "model.bin"), testing::ReadFile(parts / "model.bin"));
  EXPECT_EQ(testing::CsvWithoutWallTime(whole / "progress.csv"), testing::CsvWithoutWallTime(parts / "progress.csv"));
  EXPECT_EQ(ra.eval->returns, rb.eval->returns);

  // evaluation from the run directory, and the exported policy acting as evaluation does
  const TrainedModel m = LoadTrainedModel(whole);
  EXPECT_EQ(Evaluate(*m.policy, "PointMass-v0", 3, kEvalSeedBase, true, &m.norm).returns, ra.eval->returns);
  ExportPolicy(m, whole / "policy.rpol");
  const DeployedPolicy deployed = DeployedPolicy::Load((whole / "policy.rpol").string());
  EXPECT_EQ(deployed.contents().env_id, "PointMass-v0");
  Actor actor(*m.policy, &m.norm, m.spec.action_space);
  auto env = MakeEnv("PointMass-v0");
  std::vector<float> obs(6);
  env->Reset(11, obs);
  Rng unused(0);
  for (int k = 0; k < 200; ++k) {
    const std::span<const float> acted = actor.Act(obs, true, unused);
    const std::vector<float> want(acted.begin(), acted.end());
    ASSERT_EQ(deployed.Act(obs), want) << "step " << k;
    const StepResult r = env->Step(want, obs);
    if (r.terminated || r.truncated) env->Reset(obs);
  }
}

INSTANTIATE_TEST_SUITE_P(Algorithms, CustomEnvTrainingTest, ::testing::Values("ppo", "trpo"));

TEST(CustomEnvTrainingTest, AnEnvWithoutSavedStateResumesWithNewEpisodesAndSaysSo) {
  static const bool once = [] {
    RegisterEnv("Drifter-v0", [] { return std::make_unique<Drifter>(); });
    return true;
  }();
  (void)once;
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "Drifter-v0";
  o.sets = {"n_envs=2", "n_steps=64", "batch_size=64", "n_timesteps=512", "stop_at=256", "eval_episodes=2"};
  RunConfig cfg = ResolveRunConfig(o);
  const auto dir = testing::FreshDir("drifter");
  EXPECT_TRUE(Train(cfg, dir, {}).stopped);
  std::vector<std::string> warnings;
  TrainOptions opt;
  opt.on_warning = [&](const std::string& m) { warnings.push_back(m); };
  const TrainResult res = Resume(dir, opt);
  EXPECT_EQ(res.steps, 512);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("environment 'Drifter-v0' does not save its state"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("its 2 copies start new episodes, so this continuation is not bit-identical"),
            std::string::npos) << warnings[0];
  // the continuation is deterministic all the same: a second copy of the stopped run resumes alike
  const auto again = testing::FreshDir("drifter_again");
  EXPECT_TRUE(Train(cfg, again, {}).stopped);
  EXPECT_EQ(Resume(again, opt).eval->returns, res.eval->returns);
}

}  // namespace
}  // namespace ratchet
