#include "algo/acktr.h"

#include <cmath>
#include <fmt/format.h>

#include "algo/losses.h"
#include "ratchet/bytes.h"

namespace ratchet {

void AcktrConfig::Bind(ConfigBinder& b) {
  b.Add("learning_rate", &learning_rate, "step size of the rescaled natural gradient; lin_X decays", PositiveStart());
  b.Add("kl_clip", &kl_clip, "bound on the quadratic KL estimate of one step", Positive());
  b.Add("momentum", &momentum, "momentum of the update", InInterval(0, 1, "[)"));
  b.Add("damping", &damping, "Tikhonov damping of the Kronecker factors", Positive());
  b.Add("stats_decay", &stats_decay, "running-average factor of the K-FAC statistics", InInterval(0, 1, "[)"));
  b.Add("inverse_every", &inverse_every, "refresh the factor eigendecompositions every k updates", AtLeast(1));
  b.Add("ent_coef", &ent_coef, "entropy bonus weight", NonNegative());
  b.Add("vf_coef", &vf_coef, "value loss weight", NonNegative());
  b.Add("vf_fisher_coef", &vf_fisher_coef, "weight of the critic's sampled-Fisher statistics", Positive());
  b.Add("max_grad_norm", &max_grad_norm, "global clip of the raw gradient", Positive());
  b.Add("normalize_advantage", &normalize_advantage, "normalise advantages over the batch");
}

void AcktrConfig::Validate(const LearnerConfig&) const {}

Acktr::Acktr(const AcktrConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng, ThreadPool* pool)
    : Algorithm(spec, train, rng, pool),
      cfg_(cfg),
      kfac_pi_(cfg.stats_decay, cfg.damping, cfg.inverse_every),
      kfac_v_(cfg.stats_decay, cfg.damping, cfg.inverse_every) {
  kfac_pi_.Register(policy_.mlp(), 0);
  kfac_v_.Register(value_.mlp(), 0);
  nat_pi_.assign(policy_.num_params(), 0.0f);
  mom_pi_ = scratch_pi_ = nat_pi_;
  nat_v_.assign(value_.num_params(), 0.0f);
  mom_v_ = scratch_v_ = nat_v_;
}

void Acktr::SaveExtra(ByteWriter& w) const {
  kfac_pi_.Save(w);
  kfac_v_.Save(w);
  w.PutArray(std::span<const float>(mom_pi_));
  w.PutArray(std::span<const float>(mom_v_));
}

void Acktr::RestoreExtra(ByteReader& r) {
  kfac_pi_.Restore(r);
  kfac_v_.Restore(r);
  r.GetArray(std::span<float>(mom_pi_), "ACKTR policy momentum");
  r.GetArray(std::span<float>(mom_v_), "ACKTR value momentum");
}

UpdateStats Acktr::Update(const Rollout& r, double progress_remaining) {
  const int M = r.size(), D = policy_.dist_dim(), A = r.act_dim;
  obs_ = ConstMatMap<float>(r.obs.data(), r.obs_dim, M);
  act_ = ConstMatMap<float>(r.actions.data(), A, M);
  adv_.assign(r.advantages.begin(), r.advantages.end());
  if (cfg_.normalize_advantage) NormalizeInPlace(adv_);
  // actor: sampled-Fisher statistics first (per-sample scores of a' ~ pi), then the loss gradient
  const MatMap<float> dist = policy_.Forward(obs_, ws_pi_);
  d_dist_.setZero(D, M);
  sample_.resize(A);
  policy_.ZeroGrad();
  for (int b = 0; b < M; ++b) {
    policy_.Sample(dist.col(b).data(), rng_, sample_.data());
    policy_.AccumulateGrad(dist.col(b).data(), sample_.data(), 1.0f, 0.0f, d_dist_.col(b).data());
  }
  policy_.Backward(d_dist_, ws_pi_);
  kfac_pi_.UpdateStats(0, ws_pi_);
  policy_.ZeroGrad();
  const PgLoss pg = AccumulatePolicyGradient(policy_, dist, act_, adv_, cfg_.ent_coef, d_dist_, ws_pi_);

  // critic: Fisher of a unit-variance Gaussian on V, sampled as the score of V + noise
  const MatMap<float> v = value_.Forward(obs_, ws_v_);
  d_value_.resize(1, M);
  const float fisher_scale = static_cast<float>(std::sqrt(cfg_.vf_fisher_coef));
  for (int b = 0; b < M; ++b) d_value_(0, b) = fisher_scale * static_cast<float>(rng_.Normal());
  std::fill(scratch_v_.begin(), scratch_v_.end(), 0.0f);
  value_.mlp().Backward(value_.params(), scratch_v_, d_value_, ws_v_);
  kfac_v_.UpdateStats(0, ws_v_);
  value_.ZeroGrad();
  const double vl = AccumulateValueGradient(value_, v, r.returns, cfg_.vf_coef, d_value_, ws_v_);

  UpdateStats out;
  out.grad_norm = ClipGlobalNorm({policy_.grads(), value_.grads()}, cfg_.max_grad_norm);
  kfac_pi_.Precondition(policy_.grads(), nat_pi_);
  kfac_v_.Precondition(value_.grads(), nat_v_);
  // trust region: lr^2 g^T F^-1 g <= kl_clip
  double vfv = 0;
  for (int i = 0; i < policy_.num_params(); ++i) vfv += static_cast<double>(policy_.grads()[i]) * nat_pi_[i];
  for (int i = 0; i < value_.num_params(); ++i) vfv += static_cast<double>(value_.grads()[i]) * nat_v_[i];
  const double lr = cfg_.learning_rate(progress_remaining);
  const double scale = vfv > 0 ? std::min(1.0, std::sqrt(cfg_.kl_clip / (lr * lr * vfv))) : 1.0;
  const float s = static_cast<float>(scale), mom = static_cast<float>(cfg_.momentum), step = static_cast<float>(lr);
  for (int i = 0; i < policy_.num_params(); ++i) {
    mom_pi_[i] = mom * mom_pi_[i] + s * nat_pi_[i];
    policy_.params()[i] -= step * mom_pi_[i];
  }
  for (int i = 0; i < value_.num_params(); ++i) {
    mom_v_[i] = mom * mom_v_[i] + s * nat_v_[i];
    value_.params()[i] -= step * mom_v_[i];
  }
  out.policy_loss = pg.loss;
  out.entropy = pg.entropy;
  out.value_loss = vl;
  out.learning_rate = lr;
  out.approx_kl = lr * lr * scale * scale * vfv;  // the quadratic KL estimate of the step
  out.epochs = 1;
  return out;
}

std::string Acktr::NonFiniteState() const {
  if (!kfac_pi_.AllFinite()) return "a policy K-FAC factor";
  if (!kfac_v_.AllFinite()) return "a value K-FAC factor";
  if (auto bad = FirstNonFiniteIn(mom_pi_, "policy momentum"); !bad.empty()) return bad;
  return FirstNonFiniteIn(mom_v_, "value momentum");
}

}  // namespace ratchet
