#include "algo/ppo.h"

#include "algo/losses.h"
#include "ratchet/bytes.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>

namespace ratchet {

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
  const int rollout = learner.n_steps * learner.n_envs;
  if (batch_size > rollout)
    throw Error(fmt::format("batch_size must be in [1, n_steps * n_envs = {}], got {}", rollout, batch_size));
}

Ppo::Ppo(const PpoConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng,
         ThreadPool* pool)
    : Algorithm(spec, train, rng, pool),
      cfg_(cfg),
      adam_pi_(policy_.num_params(), 0.9, 0.999, cfg.adam_eps),
      adam_v_(value_.num_params(), 0.9, 0.999, cfg.adam_eps),
      beta_(cfg.kl_coef_init) {}

void Ppo::SaveExtra(ByteWriter& w) const {
  adam_pi_.Save(w);
  adam_v_.Save(w);
  w.Put(beta_);
}

void Ppo::RestoreExtra(ByteReader& r) {
  adam_pi_.Restore(r);
  adam_v_.Restore(r);
  beta_ = r.Get<double>();
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
  if (cfg_.kl_penalty) {
    old_dist_mb_.resize(old_.dist.rows(), b);
    for (int j = 0; j < b; ++j) old_dist_mb_.col(j) = old_.dist.col(idx[j]);
  }
  if (cfg_.normalize_advantage) NormalizeInPlace(std::span<float>(adv_.data(), b));
}

void Ppo::PolicyChunk(Chunk& c, int b, double clip) {
  const int n = c.end - c.begin;
  const MatMap<float> dist = policy_.Forward(obs_mb_.middleCols(c.begin, n), c.ws_pi);  // (dist_dim, n)
  c.d_dist.setZero(policy_.dist_dim(), n);
  const float eps = static_cast<float>(clip);
  const float inv_b = 1.0f / static_cast<float>(b);
  const float c_ent = static_cast<float>(-cfg_.ent_coef) * inv_b;
  double pg = 0, ent = 0, kl = 0, clipped = 0;
  for (int k = 0; k < n; ++k) {
    const int j = c.begin + k;
    const float* dp = dist.col(k).data();
    const float* a = act_mb_.col(j).data();
    const float logp = policy_.LogProb(dp, a);
    float g;
    pg += ClipSurrogateLoss(logp, old_logp_[j], adv_[j], eps, &g);
    const float h = policy_.Entropy(dp);
    ent += h;
    policy_.AccumulateGrad(dp, a, g * inv_b, c_ent, c.d_dist.col(k).data(), c.g_pi.data());
    const float log_ratio = logp - old_logp_[j];
    const float ratio = std::exp(log_ratio);
    kl += (ratio - 1.0f) - log_ratio;  // the low-variance estimator k3 of KL(old || new)
    clipped += std::fabs(ratio - 1.0f) > clip;
  }
  policy_.Backward(c.d_dist, c.ws_pi, c.g_pi);
  c.sums.pg_loss = pg;
  c.sums.entropy = ent;
  c.sums.approx_kl = kl;
  c.sums.clip_fraction = clipped;
}

void Ppo::PolicyChunkKl(Chunk& c, int b) {
  const int n = c.end - c.begin;
  const MatMap<float> dist = policy_.Forward(obs_mb_.middleCols(c.begin, n), c.ws_pi);
  c.d_dist.setZero(policy_.dist_dim(), n);
  const float inv_b = 1.0f / static_cast<float>(b);
  const float c_ent = static_cast<float>(-cfg_.ent_coef) * inv_b;
  const float beta = static_cast<float>(beta_);
  double loss = 0, ent = 0, kl = 0;
  for (int k = 0; k < n; ++k) {
    const int j = c.begin + k;
    const float* dp = dist.col(k).data();
    const float* a = act_mb_.col(j).data();
    const float ratio = std::exp(policy_.LogProb(dp, a) - old_logp_[j]);
    const float kl_j = policy_.Kl(old_dist_mb_.col(j).data(), old_.log_std.data(), dp);
    loss += -ratio * adv_[j] + beta * kl_j;
    kl += kl_j;
    ent += policy_.Entropy(dp);
    policy_.AccumulateGrad(dp, a, -ratio * adv_[j] * inv_b, c_ent, c.d_dist.col(k).data(), c.g_pi.data());
    policy_.AccumulateKlGrad(old_dist_mb_.col(j).data(), old_.log_std.data(), dp, beta * inv_b,
                             c.d_dist.col(k).data(), c.g_pi.data());
  }
  policy_.Backward(c.d_dist, c.ws_pi, c.g_pi);
  c.sums.pg_loss = loss;
  c.sums.entropy = ent;
  c.sums.approx_kl = kl;
  c.sums.clip_fraction = NAN;
}

void Ppo::ValueChunk(Chunk& c, int b) {
  const int n = c.end - c.begin;
  const MatMap<float> v = value_.Forward(obs_mb_.middleCols(c.begin, n), c.ws_v);  // (1, n)
  c.d_value.resize(1, n);
  const float scale = static_cast<float>(cfg_.vf_coef) / static_cast<float>(b);
  std::optional<float> clip;
  if (cfg_.clip_range_vf) clip = static_cast<float>(*cfg_.clip_range_vf);
  double loss = 0;
  for (int k = 0; k < n; ++k) {
    const int j = c.begin + k;
    float g;
    loss += ValueLoss(v(0, k), ret_[j], old_v_[j], clip, &g);
    c.d_value(0, k) = scale * g;
  }
  value_.mlp().Backward(value_.params(), c.g_v, c.d_value, c.ws_v);
  c.sums.value_loss = loss;
}

void Ppo::ShareChunks(int first, int last) {
  ByteWriter& w = exchange_out_;
  w.buf.clear();  // the buffers keep their capacity: no allocation per minibatch
  for (int c = first; c < last; ++c) {
    const Chunk& ch = chunks_[c];
    w.PutArray(std::span<const float>(ch.g_pi));
    w.PutArray(std::span<const float>(ch.g_v));
    w.Put(ch.sums);
  }
  comm_->AllGatherInto(w.buf, exchange_in_, exchange_offsets_);
  const int k = comm_->size(), C = static_cast<int>(chunks_.size());
  for (int r = 0; r < k; ++r) {
    if (r == comm_->rank()) continue;
    ByteReader rd(std::span<const uint8_t>(exchange_in_).subspan(
                      exchange_offsets_[r], exchange_offsets_[r + 1] - exchange_offsets_[r]),
                  "gradient exchange");
    for (int c = C * r / k; c < C * (r + 1) / k; ++c) {
      Chunk& ch = chunks_[c];
      rd.GetArray(std::span<float>(ch.g_pi), "policy gradient");
      rd.GetArray(std::span<float>(ch.g_v), "value gradient");
      ch.sums = rd.Get<MinibatchStats>();
    }
    rd.ExpectEnd();
  }
}

Ppo::MinibatchStats Ppo::Gradients(int b, double clip) {
  // the chunk grid depends on grad_chunks and b only, never on threads or ranks
  const int C = std::min(cfg_.grad_chunks, b);
  chunks_.resize(C);
  for (int c = 0; c < C; ++c) {
    Chunk& ch = chunks_[c];
    ch.begin = static_cast<int>(static_cast<int64_t>(b) * c / C);
    ch.end = static_cast<int>(static_cast<int64_t>(b) * (c + 1) / C);
    ch.g_pi.assign(policy_.num_params(), 0.0f);  // keeps its capacity
    ch.g_v.assign(value_.num_params(), 0.0f);
  }
  // this rank's chunks (all of them in one process)
  const int k = comm_ != nullptr ? comm_->size() : 1, rank = comm_ != nullptr ? comm_->rank() : 0;
  const int first = C * rank / k, last = C * (rank + 1) / k;
  // policy and value of each chunk as separate jobs
  auto job = [&](int i) {
    Chunk& ch = chunks_[first + i / 2];
    if (i % 2 == 1) {
      ValueChunk(ch, b);
    } else if (cfg_.kl_penalty) {
      PolicyChunkKl(ch, b);
    } else {
      PolicyChunk(ch, b, clip);
    }
  };
  const int jobs = 2 * (last - first);
  if (pool_ != nullptr) {
    pool_->ParallelFor(jobs, [&](int begin, int end) {
      for (int i = begin; i < end; ++i) job(i);
    }, 1);
  } else {
    for (int i = 0; i < jobs; ++i) job(i);
  }
  if (k > 1) ShareChunks(first, last);
  // the sums in chunk order
  policy_.ZeroGrad();
  value_.ZeroGrad();
  MinibatchStats s;
  for (const Chunk& ch : chunks_) {
    const auto gp = policy_.grads();
    for (size_t i = 0; i < gp.size(); ++i) gp[i] += ch.g_pi[i];
    const auto gv = value_.grads();
    for (size_t i = 0; i < gv.size(); ++i) gv[i] += ch.g_v[i];
    s.pg_loss += ch.sums.pg_loss;
    s.entropy += ch.sums.entropy;
    s.approx_kl += ch.sums.approx_kl;
    s.clip_fraction += ch.sums.clip_fraction;
    s.value_loss += ch.sums.value_loss;
  }
  s.pg_loss /= b;
  s.entropy /= b;
  s.approx_kl /= b;
  s.clip_fraction /= b;
  s.value_loss /= b;
  return s;
}

UpdateStats Ppo::Update(const Rollout& r, double progress_remaining) {
  const int M = r.size();
  const int B = std::min(cfg_.batch_size, M);
  const double lr = cfg_.learning_rate(progress_remaining);
  const double clip = cfg_.clip_range(progress_remaining);
  order_.resize(M);
  if (cfg_.kl_penalty) {
    all_obs_ = ConstMatMap<float>(r.obs.data(), r.obs_dim, M);
    all_act_ = ConstMatMap<float>(r.actions.data(), r.act_dim, M);
    RecordOldPolicy<float>(policy_, all_obs_, all_act_, ws_full_, &old_);
  }
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
  if (cfg_.kl_penalty) {
    // the measured mean KL(old || new) over the whole batch drives beta
    all_adv_.assign(r.advantages.begin(), r.advantages.end());
    const double kl = SurrogateGainAndKl<float>(policy_, all_obs_, all_act_, all_adv_, old_, ws_full_).second;
    beta_ = AdaptKlCoef(beta_, kl, cfg_.kl_target);
    out.approx_kl = kl;
    out.kl_coef = beta_;
    out.clip_range = NAN;
  }
  return out;
}

std::string Ppo::NonFiniteState() const {
  for (const auto& [opt, what] : {std::pair{&adam_pi_, "policy Adam"}, std::pair{&adam_v_, "value Adam"}}) {
    if (auto bad = FirstNonFiniteIn(opt->m(), std::string(what) + " first moment"); !bad.empty()) return bad;
    if (auto bad = FirstNonFiniteIn(opt->v(), std::string(what) + " second moment"); !bad.empty()) return bad;
  }
  return "";
}

}  // namespace ratchet
