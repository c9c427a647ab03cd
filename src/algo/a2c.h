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
  // Each field's key, doc, check and traits: Bind (one Add line per field).
  Schedule learning_rate = Schedule::Constant(7e-4);
  double ent_coef = 0.0;
  double vf_coef = 0.5;
  double max_grad_norm = 0.5;
  bool use_rms_prop = true;
  double rms_prop_alpha = 0.99;
  double rms_prop_eps = 1e-5;
  bool normalize_advantage = false;

  void Bind(ConfigBinder& b) override;
  void Validate(const LearnerConfig& train) const override;
};

class A2c final : public Algorithm {
 public:
  A2c(const A2cConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng, ThreadPool* pool);
  UpdateStats Update(const Rollout& r, double progress_remaining) override;

  std::string NonFiniteState() const override;

 protected:
  void SerializeExtra(Archive& ar) override;

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
