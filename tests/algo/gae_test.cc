#include <cmath>

#include "algo/ppo.h"
#include "ratchet/algo.h"
#include "test_util.h"

namespace ratchet {
namespace {

// One env, T = 5, gamma = 0.9, lambda = 0.5:
//   t=0: r=1, V=2
//   t=1: r=1, V=3, truncated (time limit), V(final obs)=10
//   t=2: r=2, V=1
//   t=3: r=0, V=4, terminated
//   t=4: r=3, V=5, then V(last obs)=6
// Worked by hand, backwards:
//   t=4: delta = 3 + 0.9*6 - 5 = 3.4;                         A4 = 3.4
//   t=3: terminated: delta = 0 - 4 = -4;                         A3 = -4
//   t=2: delta = 2 + 0.9*4 - 1 = 4.6;  A2 = 4.6 + 0.45*(-4)   = 2.8
//   t=1: truncated: delta = 1 + 0.9*10 - 3 = 7;                  A1 = 7
//   t=0: delta = 1 + 0.9*3 - 2 = 1.7;  A0 = 1.7 + 0.45*7      = 4.85
TEST(GaeTest, HandWorkedTruncationAndTermination) {
  Rollout r;
  r.Resize(5, 1, 1, 1);
  r.rewards = {1, 1, 2, 0, 3};
  r.values = {2, 3, 1, 4, 5};
  r.truncated = {0, 1, 0, 0, 0};
  r.terminated = {0, 0, 0, 1, 0};
  r.final_values = {0, 10, 0, 0, 0};
  r.last_values = {6};
  ComputeGae(r, 0.9, 0.5);
  const double expect[5] = {4.85, 7.0, 2.8, -4.0, 3.4};
  for (int t = 0; t < 5; ++t) {
    EXPECT_NEAR(r.advantages[t], expect[t], 1e-5) << t;
    EXPECT_NEAR(r.returns[t], expect[t] + r.values[t], 1e-5) << t;
  }
}

TEST(GaeTest, EnvsAreIndependentAndLambdaOneGivesMonteCarlo) {
  // two envs interleaved time-major; env 1 never ends, lambda = 1, gamma = 0.5
  Rollout r;
  r.Resize(3, 2, 1, 1);
  r.rewards = {1, 4, 2, 5, 3, 6};
  r.values = {0.5, 1, 0.5, 1, 0.5, 1};
  r.last_values = {0, 8};
  r.terminated = {0, 0, 0, 0, 1, 0};
  ComputeGae(r, 0.5, 1.0);
  // env 0 terminates at t=2: returns are discounted sums of rewards
  EXPECT_NEAR(r.returns[0], 1 + 0.5 * 2 + 0.25 * 3, 1e-6);
  EXPECT_NEAR(r.returns[2], 2 + 0.5 * 3, 1e-6);
  EXPECT_NEAR(r.returns[4], 3, 1e-6);
  // env 1 bootstraps from V(last) = 8
  EXPECT_NEAR(r.returns[1], 4 + 0.5 * 5 + 0.25 * 6 + 0.125 * 8, 1e-6);
}

TEST(GaeTest, ExplainedVariance) {
  const std::vector<float> ret = {1, 2, 3, 4};
  EXPECT_NEAR(ExplainedVariance(ret, ret), 1.0, 1e-12);
  const std::vector<float> zeros = {0, 0, 0, 0};
  EXPECT_NEAR(ExplainedVariance(zeros, ret), 0.0, 1e-12);
  EXPECT_TRUE(std::isnan(ExplainedVariance(ret, std::vector<float>{2, 2, 2, 2})));
}

TEST(PpoLossTest, ClipSurrogateGradientMatchesFiniteDifferences) {
  // logp points on both sides of the clip range, positive and negative advantages
  for (double adv : {1.3, -0.7}) {
    for (double logp : {-1.5, -1.05, -1.0, -0.95, -0.5}) {
      double g;
      ClipSurrogateLoss(logp, -1.0, adv, 0.2, &g);
      const double h = 1e-7;
      double unused;
      const double fd = (ClipSurrogateLoss(logp + h, -1.0, adv, 0.2, &unused) -
                         ClipSurrogateLoss(logp - h, -1.0, adv, 0.2, &unused)) / (2 * h);
      EXPECT_NEAR(g, fd, 1e-6) << "adv " << adv << " logp " << logp;
    }
  }
  // inside the range the loss is -ratio * adv
  double g;
  EXPECT_NEAR(ClipSurrogateLoss(std::log(1.1), 0.0, 2.0, 0.2, &g), -2.2, 1e-12);
  // ratio 1.5 with positive advantage: clipped to 1.2, no gradient
  EXPECT_NEAR(ClipSurrogateLoss(std::log(1.5), 0.0, 2.0, 0.2, &g), -2.4, 1e-12);
  EXPECT_EQ(g, 0.0);
}

TEST(PpoLossTest, ValueLossGradientMatchesFiniteDifferences) {
  for (std::optional<double> clip : {std::optional<double>{}, std::optional<double>{0.2}}) {
    for (double ret : {1.0, 2.0, -1.0}) {
      for (double v : {0.3, 0.75, 0.95, 1.1, 1.5}) {
        double g, unused;
        ValueLoss(v, ret, 0.8, clip, &g);
        const double h = 1e-7;
        const double fd = (ValueLoss(v + h, ret, 0.8, clip, &unused) -
                           ValueLoss(v - h, ret, 0.8, clip, &unused)) / (2 * h);
        EXPECT_NEAR(g, fd, 1e-6) << "v " << v << " ret " << ret << (clip ? " clipped" : "");
      }
    }
  }
  // ret 2, old 0.8, v 1.5: the clipped prediction 1.0 is further from the target, and it is flat
  double g;
  EXPECT_NEAR(ValueLoss(1.5, 2.0, 0.8, std::optional<double>{0.2}, &g), 1.0, 1e-12);
  EXPECT_EQ(g, 0.0);
  {
  }
}

}  // namespace
}  // namespace ratchet
