#include <cmath>

#include "ratchet/nn.h"
#include "test_util.h"

namespace ratchet {
namespace {

TEST(AdamTest, MatchesHandComputedSteps) {
  // two steps on one parameter, computed by hand from Kingma & Ba's Algorithm 1
  Adam adam(1, 0.9, 0.999, 1e-8);
  std::vector<float> p = {1.0f};
  std::vector<float> g = {0.5f};
  adam.Step(p, g, 0.1);
  // m = 0.05, v = 0.00025, m_hat = 0.5, v_hat = 0.25 -> step 0.1 * 0.5 / (0.5 + 1e-8)
  EXPECT_NEAR(p[0], 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-6);
  g[0] = -1.0f;
  adam.Step(p, g, 0.1);
  const double m = 0.9 * 0.05 + 0.1 * -1.0, v = 0.999 * 0.00025 + 0.001 * 1.0;
  const double m_hat = m / (1 - 0.81), v_hat = v / (1 - 0.999 * 0.999);
  EXPECT_NEAR(p[0], 0.9 - 0.1 * m_hat / (std::sqrt(v_hat) + 1e-8), 1e-5);
  EXPECT_EQ(adam.steps(), 2);
}

TEST(AdamTest, MinimisesAQuadratic) {
  Adam adam(3, 0.9, 0.999, 1e-8);
  std::vector<float> p = {3.0f, -2.0f, 0.5f}, g(3);
  for (int k = 0; k < 2000; ++k) {
    for (int i = 0; i < 3; ++i) g[i] = 2.0f * (p[i] - static_cast<float>(i));
    adam.Step(p, g, 0.01);
  }
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(p[i], i, 1e-2);
}

TEST(ClipTest, ScalesOnlyAboveTheThreshold) {
  std::vector<float> a = {3.0f, 0.0f}, b = {4.0f};
  EXPECT_DOUBLE_EQ(GlobalNorm({a, b}), 5.0);
  const double n = ClipGlobalNorm({a, b}, 1.0);
  EXPECT_DOUBLE_EQ(n, 5.0);
  EXPECT_NEAR(GlobalNorm({a, b}), 1.0, 1e-6);
  EXPECT_NEAR(a[0] / b[0], 0.75, 1e-6);
  std::vector<float> c = {0.3f};
  ClipGlobalNorm({c}, 1.0);
  EXPECT_EQ(c[0], 0.3f);
}

TEST(ScheduleTest, ParsesConstantsAndLinear) {
  const Schedule c = Schedule::Parse("3e-4", "lr");
  EXPECT_FALSE(c.linear);
  EXPECT_DOUBLE_EQ(c(0.3), 3e-4);
  const Schedule l = Schedule::Parse("lin_0.001", "lr");
  EXPECT_TRUE(l.linear);
  EXPECT_DOUBLE_EQ(l(1.0), 0.001);
  EXPECT_DOUBLE_EQ(l(0.25), 0.00025);
  EXPECT_DOUBLE_EQ(l(0.0), 0.0);
  EXPECT_EQ(Schedule::Parse(l.ToString(), "x").start, l.start);
  EXPECT_THROW(Schedule::Parse("fast", "lr"), Error);
  EXPECT_THROW(Schedule::Parse("lin_", "lr"), Error);
  EXPECT_THROW(Schedule::Parse("nan", "lr"), Error);
}

}  // namespace
}  // namespace ratchet
