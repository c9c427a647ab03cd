// PPO-clip (algo/ppo.h): the update first (epochs of shuffled minibatches, each one gradient of
// the clipped surrogate and the value loss, one global norm clip, one Adam step per network), then
// the settings, construction and saved state.
#include "algo/ppo.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>

#include "algo/losses.h"
#include "algo/ppo_kl.h"
#include "ratchet/bytes.h"

namespace ratchet {

UpdateStats Ppo::Update(const Rollout& r, double progress_remaining) {
  const int M = r.size();
  const int B = std::min(cfg_.batch_size, M);
  const double lr = cfg_.learning_rate(progress_remaining);
  const double clip = cfg_.clip_range(progress_remaining);
  order_.resize(M);
  BeginUpdate(r);
  UpdateStats out;
  out.learning_rate = lr;
  out.clip_range = clip;
  double pg = 0, vl = 0, ent = 0, cf = 0, gn = 0;
  int n_mb = 0;
  double last_kl = 0;
  bool stop = false;
  for (int epoch = 0; epoch < cfg_.n_epochs && !stop; ++epoch) {
    std::iota(order_.begin(), order_.end(), 0);
    for (int k = M - 1; k > 0; --k) std::swap(order_[k], order_[rng_.Below(k + 1)]);
    for (int start = 0; start < M; start += B) {
      const int b = std::min(B, M - start);
      Gather(r, order_.data() + start, b);
      const MinibatchStats s = Gradients(b, clip);
      last_kl = s.approx_kl;
      if (cfg_.target_kl && s.approx_kl > 1.5 * *cfg_.target_kl) {
        stop = true;
        break;
      }
      gn += ClipGlobalNorm({policy_.grads(), value_.grads()}, cfg_.max_grad_norm);
      adam_pi_.Step(policy_.params(), policy_.grads(), lr);
      adam_v_.Step(value_.params(), value_.grads(), lr);
      pg += s.pg_loss;
      vl += s.value_loss;
      ent += s.entropy;
      cf += s.clip_fraction;
      ++n_mb;
    }
    out.epochs = epoch + 1;
  }
  if (n_mb > 0) {
    out.policy_loss = pg / n_mb;
    out.value_loss = vl / n_mb;
    out.entropy = ent / n_mb;
    out.clip_fraction = cf / n_mb;
    out.grad_norm = gn / n_mb;
  }
  out.approx_kl = last_kl;
  EndUpdate(r, out);
  return out;
}

Ppo::MinibatchStats Ppo::Gradients(int b, double clip) {
  const int np = policy_.num_params(), nv = value_.num_params();
  parts_.set_comm(comm_);
  parts_.Cut(b, cfg_.grad_chunks, np + nv, kStats);
  scratch_.resize(parts_.count());
  // the policy and the value of each part as separate jobs
  parts_.Run(2, [&](int c, int job) {
    if (job == 1) {
      ValuePart(c, b);
    } else {
      PolicyPart(c, b, clip);
    }
  });
  double st[kStats];
  parts_.CombineInto({policy_.grads(), value_.grads()}, st);
  MinibatchStats s;
  s.pg_loss = st[kPg] / b;
  s.entropy = st[kEntropy] / b;
  s.approx_kl = st[kKl] / b;
  s.clip_fraction = st[kClipped] / b;
  s.value_loss = st[kValueLoss] / b;
  return s;
}

void Ppo::PolicyPart(int c, int b, double clip) {
  const int begin = parts_.begin(c), n = parts_.end(c) - begin;
  PartScratch& sc = scratch_[c];
  const std::span<float> grads = parts_.slot(c).first(policy_.num_params());
  const MatMap<float> dist = policy_.Forward(obs_mb_.middleCols(begin, n), sc.ws_pi);  // (dist_dim, n)
  sc.d_dist.setZero(policy_.dist_dim(), n);
  const float eps = static_cast<float>(clip);
  const float inv_b = 1.0f / static_cast<float>(b);
  const float c_ent = static_cast<float>(-cfg_.ent_coef) * inv_b;
  double pg = 0, ent = 0, kl = 0, clipped = 0;
  for (int k = 0; k < n; ++k) {
    const int j = begin + k;
    const float* dp = dist.col(k).data();
    const float* a = act_mb_.col(j).data();
    const float logp = policy_.LogProb(dp, a);
    float g;
    pg += ClipSurrogateLoss(logp, old_logp_[j], adv_[j], eps, &g);
    const float h = policy_.Entropy(dp);
    ent += h;
    policy_.AccumulateGrad(dp, a, g * inv_b, c_ent, sc.d_dist.col(k).data(), grads.data());
    const float log_ratio = logp - old_logp_[j];
    const float ratio = std::exp(log_ratio);
    kl += (ratio - 1.0f) - log_ratio;  // the low-variance estimator k3 of KL(old || new)
    clipped += std::fabs(ratio - 1.0f) > clip;
  }
  policy_.Backward(sc.d_dist, sc.ws_pi, grads);
  const std::span<double> st = parts_.stats(c);
  st[kPg] = pg;
  st[kEntropy] = ent;
  st[kKl] = kl;
  st[kClipped] = clipped;
}

void Ppo::ValuePart(int c, int b) {
  const int begin = parts_.begin(c), n = parts_.end(c) - begin;
  PartScratch& sc = scratch_[c];
  const MatMap<float> v = value_.Forward(obs_mb_.middleCols(begin, n), sc.ws_v);  // (1, n)
  sc.d_value.resize(1, n);
  const float scale = static_cast<float>(cfg_.vf_coef) / static_cast<float>(b);
  std::optional<float> clip;
  if (cfg_.clip_range_vf) clip = static_cast<float>(*cfg_.clip_range_vf);
  double loss = 0;
  for (int k = 0; k < n; ++k) {
    const int j = begin + k;
    float g;
    loss += ValueLoss(v(0, k), ret_[j], old_v_[j], clip, &g);
    sc.d_value(0, k) = scale * g;
  }
  value_.mlp().Backward(value_.params(), parts_.slot(c).subspan(policy_.num_params()), sc.d_value, sc.ws_v);
  parts_.stats(c)[kValueLoss] = loss;
}

void Ppo::Gather(const Rollout& r, const int* idx, int b) {
  const int od = r.obs_dim, ad = r.act_dim;
  obs_mb_.resize(od, b);
  act_mb_.resize(ad, b);
  old_logp_.resize(b);
  adv_.resize(b);
  ret_.resize(b);
  old_v_.resize(b);
  for (int j = 0; j < b; ++j) {
    const size_t k = idx[j];
    std::copy_n(r.obs.data() + k * od, od, obs_mb_.col(j).data());
    std::copy_n(r.actions.data() + k * ad, ad, act_mb_.col(j).data());
    old_logp_[j] = r.logp[k];
    adv_[j] = r.advantages[k];
    ret_[j] = r.returns[k];
    old_v_[j] = r.values[k];
  }
  GatherExtra(idx, b);
  if (cfg_.normalize_advantage) NormalizeInPlace(std::span<float>(adv_.data(), b));
}

// ---- settings, construction, saved state

void PpoConfig::Bind(ConfigBinder& b) {
  b.Add("batch_size", &batch_size, "minibatch size", AtLeast(1));
  b.Add("n_epochs", &n_epochs, "passes over each rollout", AtLeast(1));
  b.Add("learning_rate", &learning_rate, "Adam step size; lin_X decays linearly from X to 0", PositiveStart());
  b.Add("clip_range", &clip_range, "epsilon of the clipped surrogate; lin_X decays linearly", PositiveStart());
  b.Add("clip_range_vf", &clip_range_vf, "value clipping around the old values; null turns it off", PositiveOrNull());
  b.Add("normalize_advantage", &normalize_advantage, "normalise advantages per minibatch");
  b.Add("ent_coef", &ent_coef, "entropy bonus weight", NonNegative());
  b.Add("vf_coef", &vf_coef, "value loss weight", NonNegative());
  b.Add("max_grad_norm", &max_grad_norm, "global gradient-norm clip", Positive());
  b.Add("target_kl", &target_kl, "stop the epochs when approximate KL > 1.5 * target_kl; null: off", PositiveOrNull());
  b.Add("adam_eps", &adam_eps, "Adam epsilon", Positive());
  b.Add("kl_penalty", &kl_penalty, "adaptive-KL-penalty loss instead of the clipped surrogate");
  b.Add("kl_target", &kl_target, "target KL d_target of the adaptive penalty", Positive());
  b.Add("kl_coef_init", &kl_coef_init, "initial KL penalty coefficient beta", Positive());
  b.Add("grad_chunks", &grad_chunks,
        "parts of each minibatch gradient, computed on separate threads (and MPI ranks) and added in a "
        "fixed order: results depend on this, not on the thread or rank count; 1 keeps one part",
        InRange(1, 4096));
}

void PpoConfig::Validate(const LearnerConfig& learner) const {
  const int64_t rollout = learner.rollout_steps();
  if (batch_size > rollout)
    throw Error(fmt::format("batch_size must be in [1, n_steps * n_envs = {}], got {}", rollout, batch_size));
}

std::unique_ptr<Algorithm> Ppo::Make(const PpoConfig& cfg, const EnvSpec& spec, const LearnerConfig& train,
                                     Rng rng, ThreadPool* pool) {
  if (cfg.kl_penalty) return std::make_unique<PpoKl>(cfg, spec, train, rng, pool);
  return std::make_unique<Ppo>(cfg, spec, train, rng, pool);
}

Ppo::Ppo(const PpoConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng,
         ThreadPool* pool)
    : Algorithm(spec, train, rng, pool),
      cfg_(cfg),
      adam_pi_(policy_.num_params(), 0.9, 0.999, cfg.adam_eps),
      adam_v_(value_.num_params(), 0.9, 0.999, cfg.adam_eps),
      parts_(pool) {}

void Ppo::SerializeExtra(Archive& ar) {
  adam_pi_.Serialize(ar);
  adam_v_.Serialize(ar);
  double beta = SavedKlCoef();  // the adaptive penalty's beta (PPO-clip keeps kl_coef_init here)
  ar(beta);
  if (ar.loading()) RestoreKlCoef(beta);
}

std::string Ppo::NonFiniteState() const {
  for (const auto& [opt, what] : {std::pair{&adam_pi_, "policy Adam"}, std::pair{&adam_v_, "value Adam"}}) {
    if (auto bad = FirstNonFiniteIn(opt->m(), std::string(what) + " first moment"); !bad.empty()) return bad;
    if (auto bad = FirstNonFiniteIn(opt->v(), std::string(what) + " second moment"); !bad.empty()) return bad;
  }
  return "";
}

}  // namespace ratchet
