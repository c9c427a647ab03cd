#include "algo/acktr.h"

#include <cmath>
#include <fmt/format.h>

#include "algo/losses.h"
#include "algo/value_fit.h"
#include "ratchet/bytes.h"

namespace ratchet {

void AcktrConfig::Bind(ConfigBinder& b) {
  b.Add<std::string>("variant", &variant,
                     "joint (one actor-critic step, Atari form) or separate (own critic optimiser, adapted step size)",
                     [](const std::string& v) { return v == "joint" || v == "separate" ? "" : "joint or separate"; });
  b.Add<std::string>("policy_fisher", &policy_fisher,
                     "actor K-FAC curvature: sampled (one action per state) or exact (expectation over actions; "
                     "dist_dim times the statistics' work)",
                     [](const std::string& v) { return v == "sampled" || v == "exact" ? "" : "sampled or exact"; });
  b.Add("learning_rate", &learning_rate, "step size of the rescaled natural gradient; lin_X decays", PositiveStart());
  b.Add("kl_clip", &kl_clip, "bound on the quadratic KL estimate of one step", Positive());
  b.Add("momentum", &momentum, "momentum of the update (separate: of the actor's steps)", InInterval(0, 1, "[)"));
  b.Add("damping", &damping, "Tikhonov damping of the Kronecker factors", Positive());
  b.Add("stats_decay", &stats_decay, "running-average factor of the K-FAC statistics", InInterval(0, 1, "[)"));
  b.Add("inverse_every", &inverse_every, "refresh the factor eigendecompositions every k updates", AtLeast(1));
  b.Add("ent_coef", &ent_coef, "entropy bonus weight", NonNegative());
  b.Add("vf_coef", &vf_coef, "value loss weight", NonNegative());
  b.Add("vf_fisher_coef", &vf_fisher_coef,
        "noise variance of the critic's Gaussian Fisher model (joint: sampled; separate: exact)", Positive());
  b.Add("max_grad_norm", &max_grad_norm, "global clip of the raw gradient", Positive());
  b.Add("normalize_advantage", &normalize_advantage, "normalise advantages over the batch");
  b.Add("target_kl", &target_kl, "separate: the KL per update the step size is adapted towards", Positive());
  b.Add<double>("step_factor", &step_factor, "separate: factor of one step-size adaptation",
                [](const double& v) { return v > 1 ? std::string() : std::string("greater than 1"); });
  b.Add("vf_iters", &vf_iters, "separate: critic K-FAC steps per update", AtLeast(1));
  b.Add("vf_learning_rate", &vf_learning_rate, "separate: critic step size", Positive());
  b.Add("vf_momentum", &vf_momentum, "separate: momentum of the critic's steps (before this key, `momentum` set it)",
        InInterval(0, 1, "[)"));
  b.Add("vf_kl_clip", &vf_kl_clip, "separate: bound on the quadratic estimate of one critic step", Positive());
  b.Add("vf_damping", &vf_damping, "separate: Tikhonov damping of the critic's factors", Positive());
  b.Add("vf_stats_decay", &vf_stats_decay, "separate: running-average factor of the critic's statistics",
        InInterval(0, 1, "[)"));
  b.Add("vf_weight_decay", &vf_weight_decay, "separate: L2 coefficient on the critic's weights", NonNegative());
}

void AcktrConfig::Validate(const LearnerConfig&) const {
  if (separate() && learning_rate(1.0) > 1.0)
    throw Error("acktr variant separate: learning_rate (the initial step size) must be at most 1");
}

double AdaptAcktrStepSize(double step, double kl, double target, double factor) {
  if (kl > 2 * target) step /= factor;
  else if (kl < target / 2) step *= factor;
  return std::clamp(step, 1e-8, 1.0);
}

Acktr::Acktr(const AcktrConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng, ThreadPool* pool)
    : Algorithm(spec, train, rng, pool),
      cfg_(cfg),
      kfac_pi_(cfg.stats_decay, cfg.damping, cfg.inverse_every),
      kfac_v_(cfg.stats_decay, cfg.damping, cfg.inverse_every),
      step_size_(cfg.learning_rate(1.0)) {
  kfac_pi_.Register(policy_.mlp(), 0);
  if (cfg.exact_fisher() && !policy_.discrete())
    kfac_pi_.RegisterDiagonal(policy_.mlp().num_params(), policy_.dist_dim(), 2.0);  // log-std
  if (cfg.separate()) {
    KfacFitConfig v;
    v.learning_rate = cfg.vf_learning_rate;
    v.momentum = cfg.vf_momentum;
    v.kl_clip = cfg.vf_kl_clip;
    v.damping = cfg.vf_damping;
    v.stats_decay = cfg.vf_stats_decay;
    v.inverse_every = cfg.inverse_every;
    v.weight_decay = cfg.vf_weight_decay;
    v.fisher_coef = cfg.vf_fisher_coef;
    vfit_.emplace(value_, v);
  } else {
    kfac_v_.Register(value_.mlp(), 0);
  }
  nat_pi_.assign(policy_.num_params(), 0.0f);
  mom_pi_ = scratch_pi_ = nat_pi_;
  nat_v_.assign(value_.num_params(), 0.0f);
  mom_v_ = scratch_v_ = nat_v_;
}

void Acktr::SerializeExtra(Archive& ar) {
  kfac_pi_.Serialize(ar);
  if (vfit_) {
    ar(std::span<float>(mom_pi_), "ACKTR policy momentum");
    vfit_->Serialize(ar);
    ar(step_size_);
    if (ar.loading() && !(step_size_ >= 1e-8 && step_size_ <= 1))
      throw Error("ACKTR step size in the checkpoint is out of range");
    return;
  }
  kfac_v_.Serialize(ar);
  ar(std::span<float>(mom_pi_), "ACKTR policy momentum");
  ar(std::span<float>(mom_v_), "ACKTR value momentum");
}

void Acktr::PolicyFisherStats(const MatMap<float>& dist, int M) {
  if (cfg_.exact_fisher()) {
    // every state K times, column k * M + b carrying sqrt(K) L_b e_k: G's batch mean over K M
    // columns is then (1/M) sum_b sum_k (J^T L_b e_k)(J^T L_b e_k)^T, and A is unchanged
    const int K = policy_.dist_dim();
    obs_rep_.resize(obs_.rows(), static_cast<Eigen::Index>(K) * M);
    d_rep_.resize(K, static_cast<Eigen::Index>(K) * M);
    const float root_k = std::sqrt(static_cast<float>(K));
    for (int k = 0; k < K; ++k) {
      obs_rep_.middleCols(static_cast<Eigen::Index>(k) * M, M) = obs_;
      for (int b = 0; b < M; ++b) {
        float* col = d_rep_.col(static_cast<Eigen::Index>(k) * M + b).data();
        policy_.FisherFactor(dist.col(b).data(), k, col);
        for (int i = 0; i < K; ++i) col[i] *= root_k;
      }
    }
    policy_.Forward(obs_rep_, ws_fisher_);
    std::fill(scratch_pi_.begin(), scratch_pi_.end(), 0.0f);
    policy_.Backward(d_rep_, ws_fisher_, scratch_pi_);
    kfac_pi_.UpdateStats(0, ws_fisher_);
    return;
  }
  d_dist_.setZero(policy_.dist_dim(), M);
  sample_.resize(policy_.act_dim());
  policy_.ZeroGrad();
  for (int b = 0; b < M; ++b) {
    policy_.Sample(dist.col(b).data(), rng_, sample_.data());
    policy_.AccumulateGrad(dist.col(b).data(), sample_.data(), 1.0f, 0.0f, d_dist_.col(b).data());
  }
  policy_.Backward(d_dist_, ws_pi_);
  kfac_pi_.UpdateStats(0, ws_pi_);
}

void Acktr::ValueFisherStats(int M) {
  d_value_.resize(1, M);
  const float fisher_scale = static_cast<float>(std::sqrt(cfg_.vf_fisher_coef));
  for (int b = 0; b < M; ++b) d_value_(0, b) = fisher_scale * static_cast<float>(rng_.Normal());
  std::fill(scratch_v_.begin(), scratch_v_.end(), 0.0f);
  value_.mlp().Backward(value_.params(), scratch_v_, d_value_, ws_v_);
  kfac_v_.UpdateStats(0, ws_v_);
}

UpdateStats Acktr::Update(const Rollout& r, double progress_remaining) {
  if (r.valid.empty()) {
    obs_ = ConstMatMap<float>(r.obs.data(), r.obs_dim, r.size());
    act_ = ConstMatMap<float>(r.actions.data(), r.act_dim, r.size());
    adv_.assign(r.advantages.begin(), r.advantages.end());
    ret_.assign(r.returns.begin(), r.returns.end());
  } else {  // whole episodes: the steps of episodes that ended within the rollout
    keep_.clear();
    for (int k = 0; k < r.size(); ++k)
      if (r.valid[k]) keep_.push_back(k);
    if (keep_.empty())
      throw Error(fmt::format("whole_episodes: no episode ended within a rollout of n_steps = {}; raise n_steps", r.T));
    const int M = static_cast<int>(keep_.size());
    obs_.resize(r.obs_dim, M);
    act_.resize(r.act_dim, M);
    adv_.resize(M);
    ret_.resize(M);
    for (int j = 0; j < M; ++j) {
      const size_t k = keep_[j];
      std::copy_n(r.obs.data() + k * r.obs_dim, r.obs_dim, obs_.col(j).data());
      std::copy_n(r.actions.data() + k * r.act_dim, r.act_dim, act_.col(j).data());
      adv_[j] = r.advantages[k];
      ret_[j] = r.returns[k];
    }
  }
  if (cfg_.normalize_advantage) NormalizeInPlace(adv_);
  return cfg_.separate() ? UpdateSeparate() : UpdateJoint(progress_remaining);
}

UpdateStats Acktr::UpdateJoint(double progress_remaining) {
  const int M = static_cast<int>(obs_.cols());
  // actor: sampled-Fisher statistics first (per-sample scores of a' ~ pi), then the loss gradient
  const MatMap<float> dist = policy_.Forward(obs_, ws_pi_);
  PolicyFisherStats(dist, M);
  policy_.ZeroGrad();
  const PgLoss pg = AccumulatePolicyGradient(policy_, dist, act_, adv_, cfg_.ent_coef, d_dist_, ws_pi_);

  // critic: Fisher of a unit-variance Gaussian on V, sampled as the score of V + noise
  const MatMap<float> v = value_.Forward(obs_, ws_v_);
  ValueFisherStats(M);
  value_.ZeroGrad();
  const double vl = AccumulateValueGradient(value_, v, ret_, cfg_.vf_coef, d_value_, ws_v_);
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

UpdateStats Acktr::UpdateSeparate() {
  const int M = static_cast<int>(obs_.cols());
  UpdateStats out;
  // critic: vf_iters K-FAC steps on the whole batch towards the rollout's returns
  const double vl = vfit_->Fit(obs_, ret_, cfg_.vf_iters);

  // actor: one K-FAC step of the policy gradient at the adapted step size
  const MatMap<float> dist = policy_.Forward(obs_, ws_pi_);
  old_dist_ = dist;
  const auto log_std = policy_.log_std();
  old_log_std_.assign(log_std.begin(), log_std.end());
  PolicyFisherStats(dist, M);
  policy_.ZeroGrad();
  const PgLoss pg = AccumulatePolicyGradient(policy_, dist, act_, adv_, cfg_.ent_coef, d_dist_, ws_pi_);
  out.grad_norm = ClipGlobalNorm({policy_.grads()}, cfg_.max_grad_norm);
  const double lr = step_size_;
  KfacMomentumStep(kfac_pi_, policy_.params(), policy_.grads(), nat_pi_, mom_pi_, lr, cfg_.momentum, cfg_.kl_clip);

  // the measured KL of the step sets the next step size
  const MatMap<float> now = policy_.Forward(obs_, ws_pi_);
  double kl = 0;
  for (int b = 0; b < M; ++b) kl += policy_.Kl(old_dist_.col(b).data(), old_log_std_.data(), now.col(b).data());
  kl /= M;
  step_size_ = AdaptAcktrStepSize(step_size_, kl, cfg_.target_kl, cfg_.step_factor);

  out.policy_loss = pg.loss;
  out.entropy = pg.entropy;
  out.value_loss = vl;
  out.learning_rate = lr;
  out.approx_kl = kl;
  out.epochs = cfg_.vf_iters;
  return out;
}

std::string Acktr::NonFiniteState() const {
  if (!kfac_pi_.AllFinite()) return "a policy K-FAC factor";
  if (!kfac_v_.AllFinite() || (vfit_ && !vfit_->kfac().AllFinite())) return "a value K-FAC factor";
  if (vfit_)
    if (auto bad = FirstNonFiniteIn(vfit_->momentum(), "value momentum"); !bad.empty()) return bad;
  if (auto bad = FirstNonFiniteIn(mom_pi_, "policy momentum"); !bad.empty()) return bad;
  return FirstNonFiniteIn(mom_v_, "value momentum");
}

}  // namespace ratchet
