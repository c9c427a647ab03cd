#include "algo/value_fit.h"

#include <cmath>
#include <numeric>

#include "ratchet/bytes.h"

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

KfacValueFitter::KfacValueFitter(ValueFunction& value, const KfacFitConfig& cfg)
    : value_(value), cfg_(cfg), kfac_(cfg.stats_decay, cfg.damping, cfg.inverse_every) {
  kfac_.Register(value_.mlp(), 0);
  nat_.assign(value_.num_params(), 0.0f);
  mom_ = scratch_ = nat_;
}

double KfacValueFitter::Fit(const Eigen::Ref<const Mat<float>>& obs, std::span<const float> returns, int iters) {
  const int M = static_cast<int>(obs.cols());
  const Mlp<float>& net = value_.mlp();
  const float wd = static_cast<float>(cfg_.weight_decay);
  double loss = 0;
  for (int it = 0; it < iters; ++it) {
    const MatMap<float> v = value_.Forward(obs, ws_);
    // statistics: the per-sample output gradient sqrt(fisher_coef) (see the header)
    d_value_.setConstant(1, M, static_cast<float>(std::sqrt(cfg_.fisher_coef)));
    std::fill(scratch_.begin(), scratch_.end(), 0.0f);
    net.Backward(value_.params(), scratch_, d_value_, ws_);
    kfac_.UpdateStats(0, ws_);
    value_.ZeroGrad();
    loss = AccumulateValueGradient(value_, v, returns, 1.0, d_value_, ws_);
    if (wd > 0)
      for (int l = 0; l < net.num_layers(); ++l)
        for (int i = net.weight_offset(l); i < net.bias_offset(l); ++i) value_.grads()[i] += wd * value_.params()[i];
    KfacMomentumStep(kfac_, value_.params(), value_.grads(), nat_, mom_, cfg_.learning_rate, cfg_.momentum,
                     cfg_.kl_clip);
  }
  return loss;
}

void KfacValueFitter::Serialize(Archive& ar) {
  kfac_.Serialize(ar);
  ar(std::span<float>(mom_), "K-FAC critic momentum");
}

}  // namespace ratchet
