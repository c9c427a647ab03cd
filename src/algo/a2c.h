// A2C: the synchronous variant of A3C (Mnih et al. 2016, "Asynchronous Methods for Deep
// Reinforcement Learning"), as in OpenAI baselines and Stable-Baselines3: many envs, short
// rollouts (n_steps 5), n-step returns (gae_lambda 1) or GAE, one gradient step per rollout on
// the joint loss  -mean(A log pi) + vf_coef mean((R - V)^2) - ent_coef mean(H),  global-norm
// clipping, RMSprop (alpha 0.99, eps 1e-5, PyTorch form) or Adam. Separate actor and critic
// networks (the paper shares a trunk).
#pragma once

#include "ratchet/algo.h"

namespace ratchet {

struct A2cConfig final : AlgoConfig {
  Schedule learning_rate = Schedule::Constant(7e-4);  // optimiser step size
  double ent_coef = 0.0;                // entropy bonus weight
  double vf_coef = 0.5;                 // value loss weight
  double max_grad_norm = 0.5;           // global gradient-norm clip
  bool use_rms_prop = true;             // RMSprop (reference) or Adam
  double rms_prop_alpha = 0.99;         // RMSprop smoothing
  double rms_prop_eps = 1e-5;           // RMSprop / Adam epsilon
  bool normalize_advantage = false;     // batch advantage normalisation

  void Bind(ConfigBinder& b) override;
  void Validate(const LearnerConfig& train) const override;
};

class A2c final : public Algorithm {
 public:
  A2c(const A2cConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng, ThreadPool* pool);
  UpdateStats Update(const Rollout& r, double progress_remaining) override;

  std::string NonFiniteState() const override;

 protected:
  void SaveExtra(ByteWriter& w) const override;
  void RestoreExtra(ByteReader& r) override;

 private:
  void Step(std::span<float> params, std::span<const float> grads, bool policy, double lr);

  A2cConfig cfg_;
  RmsProp rms_pi_, rms_v_;
  Adam adam_pi_, adam_v_;
  Mat<float> obs_, act_, d_dist_, d_value_;
  std::vector<float> adv_;
  MlpWorkspace<float> ws_pi_, ws_v_;
};

}  // namespace ratchet
