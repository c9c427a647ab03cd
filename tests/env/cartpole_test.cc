#include <cmath>

#include "env/classic/cartpole.h"
#include "ratchet/env.h"
#include "test_util.h"

namespace ratchet {
namespace {

CartPole MakeCartPole() { return CartPole(CartPole::MakeSpec("CartPole-v1", 500, 475.0)); }

TEST(CartPoleTest, MatchesHandComputedTrajectory) {
  // expected states worked from the spec's equations (explicit Euler, tau 0.02, force +-10)
  CartPole env = MakeCartPole();
  std::vector<float> obs(4);
  env.Reset(0, obs);
  const double s0[4] = {0.01, -0.02, 0.03, 0.04};
  env.set_state(s0);
  const int actions[6] = {1, 1, 0, 1, 0, 0};
  const double expect[6][4] = {
      {0.009600000000000001, 0.17467919574755525, 0.030799999999999998, -0.24306871796000815},
      {0.013093583914951107, 0.3693479760579556, 0.025938625640799833, -0.5258796280501484},
      {0.02048054343611022, 0.17387081260481596, 0.015421033079796864, -0.22513741609237475},
      {0.02395795968820654, 0.3687690101747617, 0.01091828475794937, -0.5129163478026588},
      {0.03133333989170178, 0.17349499275068458, 0.0006599578018961928, -0.21681286835696206},
      {0.03480323974671547, -0.021636386741578473, -0.0036762995652430486, 0.07607816471983764}};
  for (int t = 0; t < 6; ++t) {
    const float a = static_cast<float>(actions[t]);
    const StepResult r = env.Step({&a, 1}, obs);
    EXPECT_EQ(r.reward, 1.0);
    EXPECT_FALSE(r.terminated);
    EXPECT_FALSE(r.truncated);
    for (int i = 0; i < 4; ++i) {
      EXPECT_NEAR(env.state()[i], expect[t][i], 1e-15) << "step " << t << " var " << i;
      EXPECT_EQ(obs[i], static_cast<float>(expect[t][i]));
    }
  }
}

struct Threshold {
  const char* name;
  double state[4];  // one Euler step moves var by tau * its velocity
  bool terminates;
};

class CartPoleTerminationTest : public ::testing::TestWithParam<Threshold> {};

TEST_P(CartPoleTerminationTest, TerminatesStrictlyBeyondThreshold) {
  CartPole env = MakeCartPole();
  std::vector<float> obs(4);
  env.Reset(0, obs);
  env.set_state(GetParam().state);
  const float a = 0.0f;
  const StepResult r = env.Step({&a, 1}, obs);
  EXPECT_EQ(r.terminated, GetParam().terminates);
  EXPECT_EQ(r.reward, 1.0);  // the terminating step still pays +1
  EXPECT_FALSE(r.truncated);
}

constexpr double kTheta = CartPole::kThetaThreshold;
INSTANTIATE_TEST_SUITE_P(
    Thresholds, CartPoleTerminationTest,
    ::testing::Values(
        // x' = x + 0.02 * x_dot: land just past +-2.4, or exactly on it (strict inequality)
        Threshold{"x_pos_past", {2.39, 1.0, 0, 0}, true},
        Threshold{"x_pos_inside", {2.37, 1.0, 0, 0}, false},
        Threshold{"x_pos_exact", {2.4, 0.0, 0, 0}, false},
        Threshold{"x_neg_past", {-2.39, -1.0, 0, 0}, true},
        Threshold{"x_neg_inside", {-2.37, -1.0, 0, 0}, false},
        Threshold{"theta_pos_past", {0, 0, kTheta - 0.01, 1.0}, true},
        Threshold{"theta_pos_inside", {0, 0, kTheta - 0.03, 1.0}, false},
        Threshold{"theta_pos_exact", {0, 0, kTheta, 0.0}, false},
        Threshold{"theta_neg_past", {0, 0, -kTheta + 0.01, -1.0}, true},
        Threshold{"theta_neg_inside", {0, 0, -kTheta + 0.03, -1.0}, false}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(CartPoleTest, StepsAfterTerminationPayNothing) {
  CartPole env = MakeCartPole();
  std::vector<float> obs(4);
  env.Reset(0, obs);
  const double s[4] = {2.39, 1.0, 0, 0};
  env.set_state(s);
  const float a = 1.0f;
  EXPECT_EQ(env.Step({&a, 1}, obs).reward, 1.0);
  const StepResult r = env.Step({&a, 1}, obs);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 0.0);
}

TEST(CartPoleTest, ResetIsUniformInRangeAndSeeded) {
  CartPole env = MakeCartPole();
  std::vector<float> a(4), b(4);
  env.Reset(17, a);
  env.Reset(17, b);
  EXPECT_EQ(a, b);
  double lo = 1, hi = -1;
  for (int k = 0; k < 2000; ++k) {
    env.Reset(a);
    for (int i = 0; i < 4; ++i) {
      EXPECT_GE(env.state()[i], -0.05);
      EXPECT_LT(env.state()[i], 0.05);
      lo = std::min(lo, env.state()[i]);
      hi = std::max(hi, env.state()[i]);
    }
  }
  EXPECT_LT(lo, -0.049);
  EXPECT_GT(hi, 0.049);
}

TEST(CartPoleTest, RejectsInvalidActions) {
  CartPole env = MakeCartPole();
  std::vector<float> obs(4);
  env.Reset(0, obs);
  for (float a : {2.0f, -1.0f, 0.5f, NAN}) EXPECT_THROW(env.Step({&a, 1}, obs), Error);
}

TEST(CartPoleTest, SaveRestoreContinuesBitExactly) {
  auto env = MakeEnv("CartPole-v1");
  std::vector<float> obs(4), o1(4), o2(4);
  env->Reset(3, obs);
  const float a = 1.0f;
  for (int k = 0; k < 5; ++k) env->Step({&a, 1}, obs);
  const auto state = env->SaveState();
  std::vector<std::vector<float>> first;
  for (int k = 0; k < 30; ++k) {
    const StepResult r = env->Step({&a, 1}, o1);
    first.push_back(o1);
    if (r.terminated || r.truncated) {
      env->Reset(o1);
      first.push_back(o1);
    }
  }
  env->RestoreState(state);
  for (size_t k = 0, j = 0; k < 30; ++k) {
    const StepResult r = env->Step({&a, 1}, o2);
    EXPECT_EQ(o2, first[j++]);
    if (r.terminated || r.truncated) {
      env->Reset(o2);
      EXPECT_EQ(o2, first[j++]);
    }
  }
  EXPECT_THROW(env->RestoreState(std::vector<uint8_t>(3)), Error);
}

// Balances with a simple linear controller so episodes run into the time limit.
int RunToEnd(Env& env, bool* truncated, bool* terminated) {
  std::vector<float> obs(4);
  env.Reset(5, obs);
  for (int t = 1;; ++t) {
    const float a = (obs[2] + 0.5f * obs[3] + 0.01f * obs[0] + 0.1f * obs[1]) > 0 ? 1.0f : 0.0f;
    const StepResult r = env.Step({&a, 1}, obs);
    if (r.terminated || r.truncated) {
      *truncated = r.truncated;
      *terminated = r.terminated;
      return t;
    }
  }
}

TEST(CartPoleTest, TruncatesAt200ForV0And500ForV1) {
  for (auto [id, limit] : {std::pair<const char*, int>{"CartPole-v0", 200}, {"CartPole-v1", 500}}) {
    auto env = MakeEnv(id);
    bool trunc = false, term = false;
    EXPECT_EQ(RunToEnd(*env, &trunc, &term), limit) << id;
    EXPECT_TRUE(trunc);
    EXPECT_FALSE(term);
  }
}

TEST(RegistryTest, SpecsFollowTheRegistry) {
  const EnvSpec v1 = EnvSpecOf("CartPole-v1"), v0 = EnvSpecOf("CartPole-v0");
  EXPECT_EQ(v1.max_episode_steps, 500);
  EXPECT_EQ(*v1.reward_threshold, 475.0);
  EXPECT_EQ(v0.max_episode_steps, 200);
  EXPECT_EQ(*v0.reward_threshold, 195.0);
  EXPECT_TRUE(v1.action_space.is_discrete());
  EXPECT_EQ(v1.action_space.n, 2);
  ASSERT_EQ(v1.observation_space.low.size(), 4u);
  EXPECT_FLOAT_EQ(v1.observation_space.high[0], 4.8f);
  EXPECT_FLOAT_EQ(v1.observation_space.high[2], 0.41887902047863906f);
  EXPECT_TRUE(std::isinf(v1.observation_space.high[1]));
}

TEST(RegistryTest, UnknownIdListsKnownOnes) {
  try {
    MakeEnv("CartPole-v9");
    FAIL();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("CartPole-v9"), std::string::npos);
    EXPECT_NE(msg.find("CartPole-v0, CartPole-v1, Pendulum-v1, Acrobot-v1"), std::string::npos);
  }
  EXPECT_EQ(ListEnvs().front(), "CartPole-v0");
}

}  // namespace
}  // namespace ratchet
