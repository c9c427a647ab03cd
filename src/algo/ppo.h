// PPO-clip: Schulman, Wolski, Dhariwal, Radford & Klimov 2017, "Proximal Policy Optimization
// Algorithms", Algorithm 1 with the clipped surrogate L^CLIP (eq. 7), as in Stable-Baselines3.
// Deviations from the paper, all shared with SB3 / CleanRL: separate policy and value networks
// optimised with one joint loss (policy + vf_coef * value - ent_coef * entropy) under one global
// gradient-norm clip; advantages normalised per minibatch; optional value clipping (the
// OpenAI baselines form, max of clipped and unclipped squared errors); early stop of all epochs
// when a minibatch's approximate KL exceeds 1.5 * target_kl (that minibatch is not applied).
//
// With kl_penalty (the algorithm `ppo-kl`), the loss is the paper's adaptive-KL variant
// (section 4): maximise mean(ratio A) - beta mean(KL(old || new)) with K epochs of minibatch Adam;
// after each update, with d = the measured mean KL over the batch, beta *= 2 if d > 1.5 kl_target
// and beta /= 2 if d < kl_target / 1.5.
//
// grad_chunks = C splits every minibatch into C fixed parts whose gradients are computed apart
// (policy and value of each part as separate jobs on the thread pool, and each MPI rank taking
// its share of the parts) and added in part order. The result depends on C alone; C = 1 is the
// plain minibatch gradient.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>

#include "algo/parts.h"
#include "algo/trust_region.h"
#include "ratchet/algo.h"

namespace ratchet {

struct PpoConfig final : AlgoConfig {
  int batch_size = 64;                              // minibatch size
  int n_epochs = 10;                                // passes over each rollout
  Schedule learning_rate = Schedule::Constant(3e-4);  // Adam step size
  Schedule clip_range = Schedule::Constant(0.2);    // epsilon of the clipped surrogate
  std::optional<double> clip_range_vf;              // value clipping around the old values (null: off)
  bool normalize_advantage = true;                  // per-minibatch advantage normalisation
  double ent_coef = 0.0;                            // entropy bonus weight
  double vf_coef = 0.5;                             // value loss weight
  double max_grad_norm = 0.5;                       // global gradient-norm clip
  std::optional<double> target_kl;                  // early stop threshold (null: off)
  double adam_eps = 1e-5;                           // Adam epsilon
  bool kl_penalty = false;                          // adaptive-KL-penalty loss instead of clipping
  double kl_target = 0.01;                          // d_target of the adaptive penalty
  double kl_coef_init = 1.0;                        // initial beta
  int grad_chunks = 1;                              // parts of each minibatch's gradient, computed in parallel

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

// The adaptive-KL rule: beta * 2 when kl > 1.5 target, beta / 2 when kl < target / 1.5.
inline double AdaptKlCoef(double beta, double kl, double target) {
  if (kl > 1.5 * target) return beta * 2.0;
  if (kl < target / 1.5) return beta / 2.0;
  return beta;
}

class Ppo final : public Algorithm {
 public:
  Ppo(const PpoConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng,
      ThreadPool* pool);
  UpdateStats Update(const Rollout& r, double progress_remaining) override;

  std::string NonFiniteState() const override;

 protected:
  void SaveExtra(ByteWriter& w) const override;
  void RestoreExtra(ByteReader& r) override;

 private:
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
  // One part's policy gradient (clipped surrogate or KL penalty) and value gradient.
  void PolicyPart(int c, int b, double clip);
  void PolicyPartKl(int c, int b);
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
  std::vector<float> total_;  // the parts' summed gradients: policy, then value
  // adaptive-KL variant
  double beta_;
  OldPolicyBatch<float> old_;
  Mat<float> old_dist_mb_;  // (dist_dim, b)
  Mat<float> all_obs_, all_act_;
  MlpWorkspace<float> ws_full_;
  std::vector<float> all_adv_;
};

}  // namespace ratchet
