#include <cmath>
#include <numbers>

#include "env/classic/pendulum.h"
#include "ratchet/env.h"
#include "test_util.h"

namespace ratchet {
namespace {

TEST(PendulumTest, MatchesHandComputedTrajectory) {
  // worked from the spec: semi-implicit Euler, torque clipped to [-2, 2] (the -3 below), cost on
  // the state before the step
  Pendulum env(Pendulum::MakeSpec());
  std::vector<float> obs(3);
  env.Reset(0, obs);
  env.set_state(2.5, -0.7);
  const float actions[3] = {1.5f, -3.0f, 0.25f};
  const double expect[3][3] = {{2.4986927054038985, -0.026145891922032538, -6.3012500000000005},
                               {2.5048673719249783, 0.1234933304215946, -6.247533596805095},
                               {2.5352132486815053, 0.6069175351305423, -6.275948111200212}};
  for (int t = 0; t < 3; ++t) {
    const StepResult r = env.Step({&actions[t], 1}, obs);
    EXPECT_NEAR(env.state()[0], expect[t][0], 1e-14);
    EXPECT_NEAR(env.state()[1], expect[t][1], 1e-14);
    EXPECT_NEAR(r.reward, expect[t][2], 1e-12);
    EXPECT_FALSE(r.terminated);
    EXPECT_FALSE(r.truncated);
    EXPECT_EQ(obs[0], static_cast<float>(std::cos(expect[t][0])));
    EXPECT_EQ(obs[1], static_cast<float>(std::sin(expect[t][0])));
    EXPECT_EQ(obs[2], static_cast<float>(expect[t][1]));
  }
}

TEST(PendulumTest, SpeedIsClippedAndThetaIsNotWrapped) {
  Pendulum env(Pendulum::MakeSpec());
  std::vector<float> obs(3);
  env.Reset(0, obs);
  env.set_state(0.3, 7.9);
  const float u = 2.0f;
  const StepResult r = env.Step({&u, 1}, obs);
  EXPECT_EQ(env.state()[1], 8.0);
  EXPECT_NEAR(env.state()[0], 0.7, 1e-15);
  EXPECT_NEAR(r.reward, -6.335, 1e-12);
  env.set_state(7.0, 0.0);
  env.Step({&u, 1}, obs);
  EXPECT_GT(env.state()[0], 7.0);  // the state keeps growing past 2 pi
}

TEST(PendulumTest, AngleNormalizeUsesAFlooredModulo) {
  EXPECT_NEAR(Pendulum::AngleNormalize(7.0), 0.7168146928204138, 1e-15);
  EXPECT_NEAR(Pendulum::AngleNormalize(-7.0), -0.7168146928204138, 1e-15);
  EXPECT_NEAR(Pendulum::AngleNormalize(std::numbers::pi), -std::numbers::pi, 1e-15);
  EXPECT_NEAR(Pendulum::AngleNormalize(-std::numbers::pi), -std::numbers::pi, 1e-15);
}

TEST(PendulumTest, RewardBoundsResetRangeAndTimeLimit) {
  auto env = MakeEnv("Pendulum-v1");
  std::vector<float> obs(3);
  Rng rng(1);
  double worst = 0;
  for (int ep = 0; ep < 5; ++ep) {
    env->Reset(100 + ep, obs);
    EXPECT_LE(std::fabs(obs[2]), 1.0f);  // theta_dot ~ U(-1, 1)
    for (int t = 1;; ++t) {
      const float u = static_cast<float>(rng.Uniform(-4, 4));
      const StepResult r = env->Step({&u, 1}, obs);
      worst = std::min(worst, r.reward);
      EXPECT_LE(r.reward, 0.0);
      EXPECT_GE(r.reward, -(std::numbers::pi * std::numbers::pi + 0.1 * 64 + 0.001 * 4) - 1e-9);
      EXPECT_FALSE(r.terminated);
      if (r.truncated) {
        EXPECT_EQ(t, 200);
        break;
      }
    }
  }
  const float nan = NAN;
  EXPECT_THROW(env->Step({&nan, 1}, obs), Error);
  const EnvSpec spec = EnvSpecOf("Pendulum-v1");
  EXPECT_FALSE(spec.reward_threshold.has_value());
  EXPECT_EQ(spec.action_space.low[0], -2.0f);
  EXPECT_EQ(spec.observation_space.high[2], 8.0f);
}

TEST(NormalizerTest, RunningStatsMatchTheBatchFormula) {
  RunningMeanStd rms(2);
  const std::vector<float> a = {1, 10, 3, 20, 5, 30}, b = {7, 40};
  rms.Update(a, 3);
  rms.Update(b, 1);
  // with the 1e-4 prior count the stats are those of {1,3,5,7} and {10,20,30,40} up to ~1e-4
  EXPECT_NEAR(rms.mean[0], 4.0, 1e-3);
  EXPECT_NEAR(rms.var[0], 5.0, 1e-3);
  EXPECT_NEAR(rms.mean[1], 25.0, 1e-2);
  EXPECT_NEAR(rms.var[1], 125.0, 1e-1);
  ObsNormalizer norm(2, true, 1.0);
  norm.rms = rms;
  std::vector<float> out(2);
  norm.Normalize(std::vector<float>{4.0f, 100.0f}, out);
  EXPECT_NEAR(out[0], 0.0, 1e-3);
  EXPECT_EQ(out[1], 1.0f);  // clipped
  ObsNormalizer off(2, false, 1.0);
  off.Normalize(std::vector<float>{4.0f, 100.0f}, out);
  EXPECT_EQ(out[1], 100.0f);
}

TEST(NormalizerTest, RewardScalerDividesByReturnStd) {
  RewardScaler scaler(1, 0.5, 100.0);
  std::vector<float> r(1);
  std::vector<uint8_t> no(1, 0), yes(1, 1);
  // constant reward 2: returns 2, 3, 3.5, ... and the scaled reward is 2 / std(returns so far)
  for (int t = 0; t < 5; ++t) {
    r[0] = 2.0f;
    scaler.Scale(r, no, no);
    EXPECT_NEAR(r[0], 2.0 / std::sqrt(scaler.stats().var[0] + 1e-8), 1e-5);
  }
  r[0] = 1.0f;
  scaler.Scale(r, yes, no);  // the episode ends: the next return starts from 0
  r[0] = 1.0f;
  scaler.Scale(r, no, no);
  // returns seen: 2, 3, 3.5, 3.75, 3.875, 2.9375 (episode end), then 1 from a fresh start
  EXPECT_NEAR(scaler.stats().mean[0], (2 + 3 + 3.5 + 3.75 + 3.875 + 2.9375 + 1) / 7, 1e-4);
}

}  // namespace
}  // namespace ratchet
