#include "algo/value_fit.h"

#include <cmath>
#include <numeric>

namespace ratchet {

ValueFitter::ValueFitter(ValueFunction& value, double adam_eps)
    : value_(value), adam_(value.num_params(), 0.9, 0.999, adam_eps) {}

double ValueFitter::Fit(const Rollout& r, int epochs, int batch_size, double lr, Rng& rng) {
  const int M = r.size(), od = r.obs_dim;
  const int B = std::min(batch_size, M);
  order_.resize(M);
  double last = 0;
  for (int e = 0; e < epochs; ++e) {
    std::iota(order_.begin(), order_.end(), 0);
    for (int k = M - 1; k > 0; --k) std::swap(order_[k], order_[rng.Below(k + 1)]);
    double sum = 0;
    int n = 0;
    for (int start = 0; start < M; start += B) {
      const int b = std::min(B, M - start);
      obs_mb_.resize(od, b);
      d_value_.resize(1, b);
      for (int j = 0; j < b; ++j)
        std::copy_n(r.obs.data() + static_cast<size_t>(order_[start + j]) * od, od, obs_mb_.col(j).data());
      const MatMap<float> v = value_.Forward(obs_mb_, ws_);
      double loss = 0;
      for (int j = 0; j < b; ++j) {
        const float e_j = v(0, j) - r.returns[order_[start + j]];
        loss += static_cast<double>(e_j) * e_j;
        d_value_(0, j) = 2.0f * e_j / static_cast<float>(b);
      }
      value_.ZeroGrad();
      value_.Backward(d_value_, ws_);
      adam_.Step(value_.params(), value_.grads(), lr);
      sum += loss / b;
      ++n;
    }
    last = sum / n;
  }
  return last;
}

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

}  // namespace ratchet
