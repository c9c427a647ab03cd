// PPO-clip: Schulman, Wolski, Dhariwal, Radford & Klimov 2017, "Proximal Policy Optimization
// Algorithms", Algorithm 1 with the clipped surrogate L^CLIP (eq. 7), as in Stable-Baselines3.
// Deviations from the paper, all shared with SB3 / CleanRL: separate policy and value networks
// optimised with one joint loss (policy + vf_coef * value - ent_coef * entropy) under one global
// gradient-norm clip; advantages normalised per minibatch; optional value clipping (the
// OpenAI baselines form, max of clipped and unclipped squared errors); early stop of all epochs
// when a minibatch's approximate KL exceeds 1.5 * target_kl (that minibatch is not applied).
// The adaptive-KL-penalty variant (`ppo-kl`) is PpoKl, algo/ppo_kl.h.
//
// grad_chunks = C splits every minibatch into C fixed parts whose gradients are computed apart
// (policy and value of each part as separate jobs on the thread pool, and each MPI rank taking
// its share of the parts) and added in part order. The result depends on C alone; C = 1 is the
// plain minibatch gradient.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "algo/parts.h"
#include "ratchet/algo.h"

namespace ratchet {

struct PpoConfig final : AlgoConfig {
  // Each field's key, doc, check and traits: Bind (one Add line per field).
  int batch_size = 64;
  int n_epochs = 10;
  Schedule learning_rate = Schedule::Constant(3e-4);
  Schedule clip_range = Schedule::Constant(0.2);
  std::optional<double> clip_range_vf;
  bool normalize_advantage = true;
  double ent_coef = 0.0;
  double vf_coef = 0.5;
  double max_grad_norm = 0.5;
  std::optional<double> target_kl;
  double adam_eps = 1e-5;
  bool kl_penalty = false;
  double kl_target = 0.01;
  double kl_coef_init = 1.0;
  int grad_chunks = 1;

  void Bind(ConfigBinder& b) override;
  void Validate(const LearnerConfig& train) const override;
};

// One sample's clipped surrogate loss -min(r A, clip(r, 1-eps, 1+eps) A) with r = exp(logp -
// old_logp); returns the loss and writes d loss / d logp.
template <typename T>
T ClipSurrogateLoss(T logp, T old_logp, T adv, T eps, T* d_logp) {
  const T ratio = std::exp(logp - old_logp);
  const T s1 = ratio * adv;
  const T s2 = std::clamp(ratio, T(1) - eps, T(1) + eps) * adv;
  // the unclipped branch carries d(r A)/d logp = r A; the clipped one is flat
  *d_logp = s1 <= s2 ? -s1 : T(0);
  return -std::min(s1, s2);
}

// One sample's value loss: (v - R)^2, or with clipping (OpenAI baselines) the larger of that and
// (old_v + clip(v - old_v, -c, c) - R)^2. Returns the loss and writes d loss / d v.
template <typename T>
T ValueLoss(T v, T ret, T old_v, std::optional<T> clip, T* d_v) {
  const T e = v - ret;
  T loss = e * e;
  *d_v = 2 * e;
  if (clip) {
    const T dv = v - old_v;
    const T ec = old_v + std::clamp(dv, -*clip, *clip) - ret;
    if (ec * ec > loss) {
      loss = ec * ec;
      *d_v = std::fabs(dv) < *clip ? 2 * ec : T(0);
    }
  }
  return loss;
}

// PPO-clip, and the minibatch machinery its variants share (PpoKl overrides the policy loss and
// the hooks around an update).
class Ppo : public Algorithm {
 public:
  // The algorithm the settings ask for: Ppo, or PpoKl when cfg.kl_penalty.
  static std::unique_ptr<Algorithm> Make(const PpoConfig& cfg, const EnvSpec& spec, const LearnerConfig& train,
                                         Rng rng, ThreadPool* pool);
  Ppo(const PpoConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng,
      ThreadPool* pool);
  UpdateStats Update(const Rollout& r, double progress_remaining) override;

  std::string NonFiniteState() const override;

 protected:
  void SerializeExtra(Archive& ar) override;

  // The hooks of a variant. Before the epochs, with the whole rollout:
  virtual void BeginUpdate(const Rollout&) {}
  // After gathering a minibatch of rows idx[0..b):
  virtual void GatherExtra(const int* /*idx*/, int /*b*/) {}
  // One part's policy loss and gradient (PPO-clip: the clipped surrogate, eq. 7).
  virtual void PolicyPart(int c, int b, double clip);
  // After the epochs: the variant's statistics and state.
  virtual void EndUpdate(const Rollout&, UpdateStats&) {}
  // The penalty coefficient beta as checkpoints hold it (PPO-clip keeps kl_coef_init there).
  virtual double SavedKlCoef() const { return cfg_.kl_coef_init; }
  virtual void RestoreKlCoef(double) {}

  struct MinibatchStats {
    double pg_loss = 0, entropy = 0, approx_kl = 0, clip_fraction = 0, value_loss = 0;
  };
  // Scratch of one part of a minibatch (its gradients and sums live in parts_).
  struct PartScratch {
    MlpWorkspace<float> ws_pi, ws_v;
    Mat<float> d_dist, d_value;
  };
  // Sums of a part, in parts_.stats(c).
  enum Stat { kPg, kEntropy, kKl, kClipped, kValueLoss, kStats };
  void Gather(const Rollout& r, const int* idx, int b);
  // The policy's and the value's gradient of one minibatch of b samples (into their grads()):
  // the sum over grad_chunks parts, each computed on its own, added in part order.
  MinibatchStats Gradients(int b, double clip);
  // One part's value gradient.
  void ValuePart(int c, int b);

  PpoConfig cfg_;
  Adam adam_pi_, adam_v_;
  std::vector<int> order_;
  // minibatch buffers, columns are samples
  Mat<float> obs_mb_;      // (obs_dim, b)
  Mat<float> act_mb_;      // (act_dim, b)
  Eigen::VectorXf old_logp_, adv_, ret_, old_v_;  // (b)
  BatchParts parts_;
  std::vector<PartScratch> scratch_;
};

}  // namespace ratchet
