#include <cmath>

#include "ratchet/dist.h"
#include "test_util.h"

namespace ratchet {
namespace {

using testing::CentralDiff;
using Vec = std::vector<double>;

const Vec kLogits = {0.3, -1.2, 0.8, 0.05};
const Vec kLogitsOld = {-0.4, 0.6, 0.1, -0.9};

void ExpectGrad(const std::function<double(const Vec&)>& f, const Vec& x, const Vec& grad,
                double tol = 1e-8) {
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_NEAR(grad[i], CentralDiff(f, x, i), tol) << "coordinate " << i;
}

TEST(CategoricalTest, LogProbGradient) {
  for (int a = 0; a < 4; ++a) {
    Vec g(4, 0.0);
    Categorical::LogProbGrad(kLogits.data(), 4, a, 1.0, g.data());
    ExpectGrad([&](const Vec& z) { return Categorical::LogProb(z.data(), 4, a); }, kLogits, g);
  }
}

TEST(CategoricalTest, EntropyGradient) {
  Vec g(4, 0.0);
  Categorical::EntropyGrad(kLogits.data(), 4, 1.0, g.data());
  ExpectGrad([](const Vec& z) { return Categorical::Entropy(z.data(), 4); }, kLogits, g);
}

TEST(CategoricalTest, KlGradientWithRespectToNew) {
  Vec g(4, 0.0);
  Categorical::KlGrad(kLogitsOld.data(), kLogits.data(), 4, 1.0, g.data());
  ExpectGrad([](const Vec& z) { return Categorical::Kl(kLogitsOld.data(), z.data(), 4); }, kLogits, g);
}

TEST(CategoricalTest, GradientsAccumulateScaled) {
  Vec g = {1.0, 1.0, 1.0, 1.0}, once(4, 0.0);
  Categorical::LogProbGrad(kLogits.data(), 4, 2, 1.0, once.data());
  Categorical::LogProbGrad(kLogits.data(), 4, 2, -3.0, g.data());
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(g[i], 1.0 - 3.0 * once[i], 1e-15);
}

TEST(CategoricalTest, ValuesOnKnownCases) {
  const Vec uniform = {0.0, 0.0, 0.0, 0.0};
  EXPECT_NEAR(Categorical::Entropy(uniform.data(), 4), std::log(4.0), 1e-15);
  EXPECT_NEAR(Categorical::LogProb(uniform.data(), 4, 1), -std::log(4.0), 1e-15);
  EXPECT_NEAR(Categorical::Kl(kLogits.data(), kLogits.data(), 4), 0.0, 1e-15);
  EXPECT_GT(Categorical::Kl(kLogitsOld.data(), kLogits.data(), 4), 0.0);
  // softmax is shift-invariant and stable for large logits
  const Vec big = {1000.0, 1001.0};
  EXPECT_NEAR(Categorical::LogProb(big.data(), 2, 1), -std::log1p(std::exp(-1.0)), 1e-12);
  EXPECT_EQ(Categorical::Mode(kLogits.data(), 4), 2);
}

TEST(CategoricalTest, SampleFrequenciesMatchProbabilities) {
  const std::vector<float> z = {0.3f, -1.2f, 0.8f, 0.05f};
  float lp[4];
  Categorical::LogSoftmax(z.data(), 4, lp);
  Rng rng(1);
  std::vector<int> counts(4, 0);
  const int n = 100000;
  for (int k = 0; k < n; ++k) ++counts[Categorical::Sample(z.data(), 4, rng)];
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(counts[i] / double(n), std::exp(lp[i]), 0.006);
}

const Vec kMu = {0.2, -0.7, 1.1}, kLogStd = {-0.3, 0.4, 0.0}, kAction = {0.5, 0.1, 0.3};
const Vec kMuOld = {0.0, -0.2, 1.5}, kLogStdOld = {0.1, 0.2, -0.5};

TEST(DiagGaussianTest, LogProbGradients) {
  Vec d_mu(3, 0.0), d_ls(3, 0.0);
  DiagGaussian::LogProbGrad(kMu.data(), kLogStd.data(), 3, kAction.data(), 1.0, d_mu.data(), d_ls.data());
  ExpectGrad([](const Vec& m) { return DiagGaussian::LogProb(m.data(), kLogStd.data(), 3, kAction.data()); },
             kMu, d_mu);
  ExpectGrad([](const Vec& s) { return DiagGaussian::LogProb(kMu.data(), s.data(), 3, kAction.data()); },
             kLogStd, d_ls);
}

TEST(DiagGaussianTest, LogProbValue) {
  // one dimension by hand: N(0.5; 0.2, e^-0.3)
  const double s = std::exp(-0.3), z = (0.5 - 0.2) / s;
  const double expect = -0.5 * z * z - std::log(s) - 0.5 * std::log(2 * M_PI);
  EXPECT_NEAR(DiagGaussian::LogProb(kMu.data(), kLogStd.data(), 1, kAction.data()), expect, 1e-14);
}

TEST(DiagGaussianTest, EntropyValueAndGradient) {
  const double expect = (-0.3 + 0.4 + 0.0) + 3 * 0.5 * std::log(2 * M_PI * M_E);
  EXPECT_NEAR(DiagGaussian::Entropy(kLogStd.data(), 3), expect, 1e-12);
  Vec d_ls(3, 0.0);
  DiagGaussian::EntropyGrad(3, 1.0, d_ls.data());
  ExpectGrad([](const Vec& s) { return DiagGaussian::Entropy(s.data(), 3); }, kLogStd, d_ls);
}

TEST(DiagGaussianTest, KlGradientsWithRespectToNew) {
  Vec d_mu(3, 0.0), d_ls(3, 0.0);
  DiagGaussian::KlGrad(kMuOld.data(), kLogStdOld.data(), kMu.data(), kLogStd.data(), 3, 1.0,
                       d_mu.data(), d_ls.data());
  ExpectGrad([](const Vec& m) {
    return DiagGaussian::Kl(kMuOld.data(), kLogStdOld.data(), m.data(), kLogStd.data(), 3);
  }, kMu, d_mu);
  ExpectGrad([](const Vec& s) {
    return DiagGaussian::Kl(kMuOld.data(), kLogStdOld.data(), kMu.data(), s.data(), 3);
  }, kLogStd, d_ls);
  EXPECT_NEAR(DiagGaussian::Kl(kMu.data(), kLogStd.data(), kMu.data(), kLogStd.data(), 3), 0.0, 1e-15);
}

TEST(DiagGaussianTest, KlMatchesMonteCarlo) {
  // KL(old || new) = E_old[log p_old - log p_new]
  Rng rng(2);
  double acc = 0;
  const int n = 200000;
  Vec a(3);
  for (int k = 0; k < n; ++k) {
    DiagGaussian::Sample(kMuOld.data(), kLogStdOld.data(), 3, rng, a.data());
    acc += DiagGaussian::LogProb(kMuOld.data(), kLogStdOld.data(), 3, a.data()) -
           DiagGaussian::LogProb(kMu.data(), kLogStd.data(), 3, a.data());
  }
  EXPECT_NEAR(acc / n, DiagGaussian::Kl(kMuOld.data(), kLogStdOld.data(), kMu.data(), kLogStd.data(), 3),
              0.01);
}

}  // namespace
}  // namespace ratchet
