#include "algo/value_fit.h"

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
      ret_mb_.resize(b);
      for (int j = 0; j < b; ++j) {
        const size_t k = order_[start + j];
        std::copy_n(r.obs.data() + k * od, od, obs_mb_.col(j).data());
        ret_mb_[j] = r.returns[k];
      }
      const MatMap<float> v = value_.Forward(obs_mb_, ws_);
      value_.ZeroGrad();
      sum += AccumulateValueGradient(value_, v, ret_mb_, 1.0, d_value_, ws_);
      adam_.Step(value_.params(), value_.grads(), lr);
      ++n;
    }
    last = sum / n;
  }
  return last;
}

}  // namespace ratchet
