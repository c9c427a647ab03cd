// PPO with the adaptive KL penalty: Schulman, Wolski, Dhariwal, Radford & Klimov 2017, "Proximal
// Policy Optimization Algorithms", section 4 (the algorithm `ppo-kl`, or `ppo` with kl_penalty).
// Each minibatch maximises mean(ratio A) - beta mean(KL(old || new)) (plus the entropy bonus and
// PPO's value loss), with K epochs of minibatch Adam as in PPO-clip; after each update, with d the
// measured mean KL(old || new) over the whole batch, beta doubles when d > 1.5 kl_target and halves
// when d < kl_target / 1.5. Everything else (minibatches, parts, clipping of the gradient norm,
// the value loss, early stop on target_kl) is PPO-clip's (algo/ppo.h).
#pragma once

#include "algo/ppo.h"
#include "algo/trust_region.h"

namespace ratchet {

// The adaptive-KL rule: beta * 2 when kl > 1.5 target, beta / 2 when kl < target / 1.5.
inline double AdaptKlCoef(double beta, double kl, double target) {
  if (kl > 1.5 * target) return beta * 2.0;
  if (kl < target / 1.5) return beta / 2.0;
  return beta;
}

class PpoKl final : public Ppo {
 public:
  PpoKl(const PpoConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng, ThreadPool* pool)
      : Ppo(cfg, spec, train, rng, pool), beta_(cfg.kl_coef_init) {}

 protected:
  // the old policy's distributions over the whole rollout, before the first step
  void BeginUpdate(const Rollout& r) override;
  void GatherExtra(const int* idx, int b) override;
  // the penalised surrogate of one part (clip is unused)
  void PolicyPart(int c, int b, double clip) override;
  // beta from the measured KL; approx_kl is that KL, clip_range is not a thing here (NaN)
  void EndUpdate(const Rollout& r, UpdateStats& out) override;
  double SavedKlCoef() const override { return beta_; }
  void RestoreKlCoef(double beta) override { beta_ = beta; }

 private:
  double beta_;
  OldPolicyBatch<float> old_;
  Mat<float> old_dist_mb_;  // (dist_dim, b)
  Mat<float> all_obs_, all_act_;
  MlpWorkspace<float> ws_full_;
  std::vector<float> all_adv_;
};

}  // namespace ratchet
