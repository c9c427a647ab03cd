// PPO with the adaptive KL penalty (algo/ppo_kl.h).
#include "algo/ppo_kl.h"

#include <cmath>

namespace ratchet {

void PpoKl::BeginUpdate(const Rollout& r) {
  const int M = r.size();
  all_obs_ = ConstMatMap<float>(r.obs.data(), r.obs_dim, M);
  all_act_ = ConstMatMap<float>(r.actions.data(), r.act_dim, M);
  RecordOldPolicy<float>(policy_, all_obs_, all_act_, ws_full_, &old_);
}

void PpoKl::GatherExtra(const int* idx, int b) {
  old_dist_mb_.resize(old_.dist.rows(), b);
  for (int j = 0; j < b; ++j) old_dist_mb_.col(j) = old_.dist.col(idx[j]);
}

void PpoKl::PolicyPart(int c, int b, double) {
  const int begin = parts_.begin(c), n = parts_.end(c) - begin;
  PartScratch& sc = scratch_[c];
  const std::span<float> grads = parts_.slot(c).first(policy_.num_params());
  const MatMap<float> dist = policy_.Forward(obs_mb_.middleCols(begin, n), sc.ws_pi);
  sc.d_dist.setZero(policy_.dist_dim(), n);
  const float inv_b = 1.0f / static_cast<float>(b);
  const float c_ent = static_cast<float>(-cfg_.ent_coef) * inv_b;
  const float beta = static_cast<float>(beta_);
  double loss = 0, ent = 0, kl = 0;
  for (int k = 0; k < n; ++k) {
    const int j = begin + k;
    const float* dp = dist.col(k).data();
    const float* a = act_mb_.col(j).data();
    const float ratio = std::exp(policy_.LogProb(dp, a) - old_logp_[j]);
    const float kl_j = policy_.Kl(old_dist_mb_.col(j).data(), old_.log_std.data(), dp);
    loss += -ratio * adv_[j] + beta * kl_j;
    kl += kl_j;
    ent += policy_.Entropy(dp);
    policy_.AccumulateGrad(dp, a, -ratio * adv_[j] * inv_b, c_ent, sc.d_dist.col(k).data(), grads.data());
    policy_.AccumulateKlGrad(old_dist_mb_.col(j).data(), old_.log_std.data(), dp, beta * inv_b,
                             sc.d_dist.col(k).data(), grads.data());
  }
  policy_.Backward(sc.d_dist, sc.ws_pi, grads);
  const std::span<double> st = parts_.stats(c);
  st[kPg] = loss;
  st[kEntropy] = ent;
  st[kKl] = kl;
  st[kClipped] = NAN;
}

void PpoKl::EndUpdate(const Rollout& r, UpdateStats& out) {
  // the measured mean KL(old || new) over the whole batch drives beta
  all_adv_.assign(r.advantages.begin(), r.advantages.end());
  const double kl = SurrogateGainAndKl<float>(policy_, all_obs_, all_act_, all_adv_, old_, ws_full_).second;
  beta_ = AdaptKlCoef(beta_, kl, cfg_.kl_target);
  out.approx_kl = kl;
  out.kl_coef = beta_;
  out.clip_range = NAN;
}

}  // namespace ratchet
