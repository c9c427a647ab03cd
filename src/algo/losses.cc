#include "algo/losses.h"

#include <cmath>

namespace ratchet {

void NormalizeInPlace(std::span<float> x) {
  const size_t n = x.size();
  if (n < 2) return;
  double mean = 0;
  for (float v : x) mean += v;
  mean /= n;
  double sq = 0;
  for (float v : x) sq += (v - mean) * (v - mean);
  const double std = std::sqrt(sq / (n - 1));
  for (float& v : x) v = static_cast<float>((v - mean) / (std + 1e-8));
}

PgLoss AccumulatePolicyGradient(Policy& policy, const Eigen::Ref<const Mat<float>>& dist,
                                const Eigen::Ref<const Mat<float>>& actions,
                                std::span<const float> weights, double ent_coef, Mat<float>& d_dist,
                                MlpWorkspace<float>& ws) {
  const int B = static_cast<int>(dist.cols());
  const float inv_b = 1.0f / static_cast<float>(B);
  const float c_ent = static_cast<float>(-ent_coef) * inv_b;
  d_dist.setZero(policy.dist_dim(), B);
  PgLoss out;
  for (int b = 0; b < B; ++b) {
    const float* dp = dist.col(b).data();
    const float* a = actions.col(b).data();
    out.loss -= weights[b] * policy.LogProb(dp, a);
    out.entropy += policy.Entropy(dp);
    policy.AccumulateGrad(dp, a, -weights[b] * inv_b, c_ent, d_dist.col(b).data());
  }
  policy.Backward(d_dist, ws);
  out.loss /= B;
  out.entropy /= B;
  return out;
}

double AccumulateValueGradient(ValueFunction& value, const Eigen::Ref<const Mat<float>>& v,
                               std::span<const float> returns, double coef, Mat<float>& d_value,
                               MlpWorkspace<float>& ws) {
  const int B = static_cast<int>(v.cols());
  const float scale = static_cast<float>(coef) * 2.0f / static_cast<float>(B);
  d_value.resize(1, B);
  double mse = 0;
  for (int b = 0; b < B; ++b) {
    const float e = v(0, b) - returns[b];
    mse += static_cast<double>(e) * e;
    d_value(0, b) = scale * e;
  }
  value.Backward(d_value, ws);
  return mse / B;
}

}  // namespace ratchet
