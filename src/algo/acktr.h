// ACKTR: Wu, Mansimov, Liao, Grosse & Ba 2017, "Scalable trust-region method for deep
// reinforcement learning using Kronecker-factored approximation". An A2C-style actor-critic whose
// gradient step is a K-FAC natural gradient (ratchet/kfac.h) for every layer of the actor and the
// critic, rescaled so that the quadratic KL estimate lr^2 g^T F^-1 g stays below kl_clip, and
// applied with momentum, as in OpenAI baselines' ACKTR:
//   actor Fisher: gradients of log pi(a'|s) with a' sampled from the current policy;
//   critic Fisher: gradients of the Gaussian log-likelihood of V(s) + noise, noise ~ N(0, 1);
//   factors averaged with stats_decay, eigendecompositions refreshed every inverse_every updates.
// Deviations: separate actor and critic networks (baselines shares a trunk on Atari); the Gaussian
// policy's log-std, which belongs to no layer, takes the plain gradient (as in baselines).
#pragma once

#include "ratchet/algo.h"
#include "ratchet/kfac.h"

namespace ratchet {

struct AcktrConfig final : AlgoConfig {
  Schedule learning_rate = Schedule::Constant(0.25);  // step size of the (rescaled) natural gradient
  double kl_clip = 0.001;              // bound on the quadratic KL estimate of a step
  double momentum = 0.9;               // momentum of the update
  double damping = 0.01;               // Tikhonov damping of the Kronecker factors
  double stats_decay = 0.99;           // running-average factor of the K-FAC statistics
  int inverse_every = 1;               // refresh the eigendecompositions every k updates
  double ent_coef = 0.0;               // entropy bonus weight
  double vf_coef = 0.5;                // value loss weight
  double vf_fisher_coef = 1.0;         // weight of the critic's sampled-Fisher statistics
  double max_grad_norm = 0.5;          // global clip of the raw gradient
  bool normalize_advantage = false;    // batch advantage normalisation

  void Bind(ConfigBinder& b) override;
  void Validate(const LearnerConfig& train) const override;
};

class Acktr final : public Algorithm {
 public:
  Acktr(const AcktrConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng, ThreadPool* pool);
  UpdateStats Update(const Rollout& r, double progress_remaining) override;

  std::string NonFiniteState() const override;

 protected:
  void SaveExtra(ByteWriter& w) const override;
  void RestoreExtra(ByteReader& r) override;

 private:
  AcktrConfig cfg_;
  Kfac kfac_pi_, kfac_v_;
  AlignedVector<float> nat_pi_, nat_v_, mom_pi_, mom_v_, scratch_pi_, scratch_v_;
  Mat<float> obs_, act_, d_dist_, d_value_;
  std::vector<float> adv_, sample_;
  MlpWorkspace<float> ws_pi_, ws_v_;
};

}  // namespace ratchet
