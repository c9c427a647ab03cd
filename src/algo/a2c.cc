#include "algo/a2c.h"

#include <fmt/format.h>

#include "algo/losses.h"
#include "ratchet/bytes.h"

namespace ratchet {

void A2cConfig::Bind(ConfigBinder& b) {
  b.Add("learning_rate", &learning_rate, "optimiser step size; lin_X decays linearly from X to 0", PositiveStart());
  b.Add("ent_coef", &ent_coef, "entropy bonus weight", NonNegative());
  b.Add("vf_coef", &vf_coef, "value loss weight", NonNegative());
  b.Add("max_grad_norm", &max_grad_norm, "global gradient-norm clip", Positive());
  b.Add("use_rms_prop", &use_rms_prop, "RMSprop (true, the reference) or Adam (false)");
  b.Add("rms_prop_alpha", &rms_prop_alpha, "RMSprop smoothing constant", InInterval(0, 1, "()"));
  b.Add("rms_prop_eps", &rms_prop_eps, "RMSprop (or Adam) epsilon", Positive());
  b.Add("normalize_advantage", &normalize_advantage, "normalise advantages over the batch");
}

void A2cConfig::Validate(const LearnerConfig&) const {}

A2c::A2c(const A2cConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng, ThreadPool* pool)
    : Algorithm(spec, train, rng, pool),
      cfg_(cfg),
      rms_pi_(policy_.num_params(), cfg.rms_prop_alpha, cfg.rms_prop_eps),
      rms_v_(value_.num_params(), cfg.rms_prop_alpha, cfg.rms_prop_eps),
      adam_pi_(policy_.num_params(), 0.9, 0.999, cfg.rms_prop_eps),
      adam_v_(value_.num_params(), 0.9, 0.999, cfg.rms_prop_eps) {}

void A2c::SerializeExtra(Archive& ar) {
  rms_pi_.Serialize(ar);
  rms_v_.Serialize(ar);
  adam_pi_.Serialize(ar);
  adam_v_.Serialize(ar);
}

void A2c::Step(std::span<float> params, std::span<const float> grads, bool policy, double lr) {
  if (cfg_.use_rms_prop) {
    (policy ? rms_pi_ : rms_v_).Step(params, grads, lr);
  } else {
    (policy ? adam_pi_ : adam_v_).Step(params, grads, lr);
  }
}

UpdateStats A2c::Update(const Rollout& r, double progress_remaining) {
  const int M = r.size();
  obs_ = ConstMatMap<float>(r.obs.data(), r.obs_dim, M);
  act_ = ConstMatMap<float>(r.actions.data(), r.act_dim, M);
  adv_.assign(r.advantages.begin(), r.advantages.end());
  if (cfg_.normalize_advantage) NormalizeInPlace(adv_);
  PgLoss pg;
  double vl = 0;
  policy_.ZeroGrad();
  value_.ZeroGrad();
  auto actor = [&] {
    const MatMap<float> dist = policy_.Forward(obs_, ws_pi_);
    pg = AccumulatePolicyGradient(policy_, dist, act_, adv_, cfg_.ent_coef, d_dist_, ws_pi_);
  };
  auto critic = [&] {
    const MatMap<float> v = value_.Forward(obs_, ws_v_);
    vl = AccumulateValueGradient(value_, v, r.returns, cfg_.vf_coef, d_value_, ws_v_);
  };
  if (pool_ != nullptr) {
    pool_->Fork2(actor, critic);
  } else {
    actor();
    critic();
  }
  UpdateStats out;
  out.grad_norm = ClipGlobalNorm({policy_.grads(), value_.grads()}, cfg_.max_grad_norm);
  const double lr = cfg_.learning_rate(progress_remaining);
  Step(policy_.params(), policy_.grads(), true, lr);
  Step(value_.params(), value_.grads(), false, lr);
  out.policy_loss = pg.loss;
  out.entropy = pg.entropy;
  out.value_loss = vl;
  out.learning_rate = lr;
  out.epochs = 1;
  return out;
}

std::string A2c::NonFiniteState() const {
  for (const auto& [opt, what] : {std::pair{&adam_pi_, "policy Adam"}, std::pair{&adam_v_, "value Adam"}}) {
    if (auto bad = FirstNonFiniteIn(opt->m(), std::string(what) + " first moment"); !bad.empty()) return bad;
    if (auto bad = FirstNonFiniteIn(opt->v(), std::string(what) + " second moment"); !bad.empty()) return bad;
  }
  for (const auto& [opt, what] : {std::pair{&rms_pi_, "policy RMSprop"}, std::pair{&rms_v_, "value RMSprop"}})
    if (auto bad = FirstNonFiniteIn(opt->v(), std::string(what) + " average"); !bad.empty()) return bad;
  return "";
}

}  // namespace ratchet
