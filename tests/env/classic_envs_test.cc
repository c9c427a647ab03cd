// Acrobot-v1, MountainCarContinuous-v0 and CartPoleSwingUp against steps worked from the spec
// (docs/ENVIRONMENTS.md), plus their spaces, terminations and time limits.
#include <cmath>
#include <numbers>

#include "env/classic/acrobot.h"
#include "env/classic/cartpole_swingup.h"
#include "env/classic/mountain_car.h"
#include "ratchet/env.h"
#include "test_util.h"

namespace ratchet {
namespace {

TEST(AcrobotTest, MatchesHandComputedRk4Steps) {
  Acrobot env(Acrobot::MakeSpec());
  std::vector<float> obs(6);
  env.Reset(0, obs);
  env.set_state({0.05, -0.03, 0.1, -0.2});
  const int actions[4] = {2, 0, 1, 2};
  const double expect[4][4] = {
      {0.04903870635826079, -0.02600004511990665, -0.10899607843931322, 0.2386115189039908},
      {0.035278448846013874, -0.007744603378806798, -0.025401060909120615, -0.061013783639047636},
      {0.025905618636254055, -0.015639965811271347, -0.06662137486542424, -0.018102536514262774},
      {-0.003585909677212805, 0.018723889563732513, -0.22101227541600305, 0.35081876329319295}};
  for (int t = 0; t < 4; ++t) {
    const float a = static_cast<float>(actions[t]);
    const StepResult r = env.Step({&a, 1}, obs);
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(env.state()[i], expect[t][i], 1e-12) << t << " " << i;
    EXPECT_EQ(r.reward, -1.0);
    EXPECT_FALSE(r.terminated);
  }
  EXPECT_FLOAT_EQ(obs[0], std::cos(expect[3][0]));
  EXPECT_FLOAT_EQ(obs[3], std::sin(expect[3][1]));
  EXPECT_FLOAT_EQ(obs[5], expect[3][3]);
}

TEST(AcrobotTest, TerminatesWhenTheTipIsHighAndWrapsAngles) {
  Acrobot env(Acrobot::MakeSpec());
  std::vector<float> obs(6);
  env.Reset(0, obs);
  // both links pointing up: -cos(pi) - cos(2 pi) = 0... tip height 2 > 1
  env.set_state({std::numbers::pi - 0.01, 0.0, 0.0, 0.0});
  const float a = 1.0f;
  const StepResult r = env.Step({&a, 1}, obs);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 0.0);
  EXPECT_LE(std::fabs(env.state()[0]), std::numbers::pi);
  const float bad = 3.0f;
  EXPECT_THROW(env.Step({&bad, 1}, obs), Error);
  env.Reset(4, obs);
  for (double v : env.state()) {
    EXPECT_LT(std::fabs(v), 0.1);
    EXPECT_EQ(v, static_cast<double>(static_cast<float>(v)));  // float32-rounded reset
  }
}

TEST(MountainCarContinuousTest, MatchesHandComputedSteps) {
  MountainCarContinuous env(MountainCarContinuous::MakeSpec());
  std::vector<float> obs(2);
  env.Reset(0, obs);
  env.set_state(-0.5, 0.0);
  const float actions[3] = {1.0f, -2.0f, 0.3f};
  const double expect[3][3] = {{-0.4986768364906311, 0.0013231569901108742, -0.1},
                               {-0.499040424823761, -0.00036358347279019654, -0.4},
                               {-0.4991380274295807, -9.760451939655468e-05, -0.009}};
  for (int t = 0; t < 3; ++t) {
    const StepResult r = env.Step({&actions[t], 1}, obs);
    // 0.3f is not 0.3: the last step agrees to float32 rounding of the action
    EXPECT_NEAR(env.state()[0], expect[t][0], t < 2 ? 0.0 : 1e-9);
    EXPECT_NEAR(env.state()[1], expect[t][1], t < 2 ? 0.0 : 1e-9);
    // the penalty uses the unclipped action (-2 costs 0.4); 0.3f is float32
    EXPECT_NEAR(r.reward, expect[t][2], 1e-8);
    EXPECT_FALSE(r.terminated);
  }
}

TEST(MountainCarContinuousTest, GoalAndLeftWall) {
  MountainCarContinuous env(MountainCarContinuous::MakeSpec());
  std::vector<float> obs(2);
  env.Reset(0, obs);
  env.set_state(0.44, 0.02);
  const float push = 1.0f;
  StepResult r = env.Step({&push, 1}, obs);
  EXPECT_TRUE(r.terminated);
  EXPECT_NEAR(r.reward, 99.9, 1e-12);
  EXPECT_EQ(env.state()[0], 0.4608795642852783);
  env.set_state(-1.19, -0.05);
  const float back = -1.0f;
  r = env.Step({&back, 1}, obs);
  EXPECT_EQ(env.state()[0], -1.2000000476837158);  // clamped, stored as float32
  EXPECT_EQ(env.state()[1], 0.0);                  // the inelastic wall
  EXPECT_FALSE(r.terminated);
  const EnvSpec spec = EnvSpecOf("MountainCarContinuous-v0");
  EXPECT_EQ(spec.max_episode_steps, 999);
  EXPECT_EQ(*spec.reward_threshold, 90.0);
}

TEST(CartPoleSwingUpTest, MatchesHandComputedSteps) {
  CartPoleSwingUp env(CartPoleSwingUp::MakeSpec("CartPoleSwingUp-v1"), 1);
  std::vector<float> obs(5);
  env.Reset(0, obs);
  env.set_state({0.1, -0.2, 3.0, 0.5});
  const float actions[3] = {0.7f, -1.5f, 0.0f};
  const double expect[3][4] = {{0.098, -0.09722431045790804, 3.005, 0.28027705827967764},
                               {0.09702775689542092, -0.2631962791880944, 3.0078027705827965, 0.7247715243347901},
                               {0.09439579410353999, -0.2706528940367582, 3.0150504858261447, 0.7759939874819296}};
  const double rewards[3] = {0.004657119512557983, 0.004468262195587158, 0.003997892141342163};
  for (int t = 0; t < 3; ++t) {
    const StepResult r = env.Step({&actions[t], 1}, obs);
    // 0.7f is float32: allow its rounding to propagate
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(env.state()[i], expect[t][i], 1e-8) << t << " " << i;
    EXPECT_NEAR(r.reward, rewards[t], 1e-6);
    EXPECT_FALSE(r.terminated);
  }
  EXPECT_FLOAT_EQ(obs[2], std::cos(expect[2][2]));
  EXPECT_FLOAT_EQ(obs[3], std::sin(expect[2][2]));
}

TEST(CartPoleSwingUpTest, V0RewardTerminationAndReset) {
  CartPoleSwingUp v0(CartPoleSwingUp::MakeSpec("CartPoleSwingUp-v0"), 0);
  std::vector<float> obs(5);
  v0.Reset(0, obs);
  v0.set_state({0.1, -0.2, 3.0, 0.5});
  const float a = 0.7f;
  EXPECT_NEAR(v0.Step({&a, 1}, obs).reward, -0.990685760974884, 1e-6);
  v0.set_state({2.399, 1.0, 0.0, 0.0});  // x' = 2.409 > 2.4
  EXPECT_TRUE(v0.Step({&a, 1}, obs).terminated);
  v0.set_state({2.3, 1.0, 0.0, 0.0});
  EXPECT_FALSE(v0.Step({&a, 1}, obs).terminated);
  // reset ~ N([0, 0, pi, 0], 0.2)
  double mean_theta = 0;
  for (int k = 0; k < 2000; ++k) {
    v0.Reset(obs);
    mean_theta += v0.state()[2] / 2000;
  }
  EXPECT_NEAR(mean_theta, std::numbers::pi, 0.02);
  auto env = MakeEnv("CartPoleSwingUp-v1");
  env->Reset(1, obs);
  int t = 0;
  for (StepResult r; !r.truncated; ++t) {
    const float zero = 0.0f;
    r = env->Step({&zero, 1}, obs);
    ASSERT_FALSE(r.terminated);
  }
  EXPECT_EQ(t, 500);
}

TEST(ClassicEnvsTest, SaveRestoreRoundTripsForEveryEnvironment) {
  for (const std::string& id : ListEnvs()) {
    auto env = MakeEnv(id);
    const EnvSpec& spec = env->spec();
    std::vector<float> obs(spec.observation_space.flat_dim()), o1(obs.size()), o2(obs.size());
    std::vector<float> a(spec.action_space.flat_dim(), 0.0f);
    env->Reset(9, obs);
    const auto saved = env->SaveState();
    for (int k = 0; k < 20; ++k) {
      const StepResult r = env->Step(a, o1);
      if (r.terminated || r.truncated) env->Reset(o1);
    }
    env->RestoreState(saved);
    for (int k = 0; k < 20; ++k) {
      const StepResult r = env->Step(a, o2);
      if (r.terminated || r.truncated) env->Reset(o2);
    }
    EXPECT_EQ(o1, o2) << id;
    std::vector<uint8_t> bad = saved;
    bad.push_back(0);
    EXPECT_THROW(env->RestoreState(bad), Error) << id;
  }
}

}  // namespace
}  // namespace ratchet
