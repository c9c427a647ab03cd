// ACKTR: Wu, Mansimov, Liao, Grosse & Ba 2017, "Scalable trust-region method for deep
// reinforcement learning using Kronecker-factored approximation". An A2C-style actor-critic whose
// gradient step is a K-FAC natural gradient (ratchet/kfac.h) for every layer of the actor and the
// critic, rescaled so that the quadratic KL estimate lr^2 g^T F^-1 g stays below kl_clip, and
// applied with momentum, as in OpenAI baselines' ACKTR:
//   actor Fisher: gradients of log pi(a'|s) with a' sampled from the current policy;
//   critic Fisher: gradients of the Gaussian log-likelihood of V(s) + noise, noise ~ N(0, 1);
//   factors averaged with stats_decay, eigendecompositions refreshed every inverse_every updates.
// Deviations: separate actor and critic networks (baselines shares a trunk on Atari); with
// policy_fisher sampled, the Gaussian policy's log-std, which belongs to no layer, takes the plain
// gradient (as in baselines).
//
// policy_fisher: sampled (the above: one action a' per state, as baselines) or exact: the actor's
// factors from the expectation over actions instead of one sample. With L_b a square root of the
// distribution's metric in its parameters (M_b = L_b L_b^T: e_k / sigma_k for a Gaussian mean,
// sqrt(p_k)(e_k - p) for logits), G sums the outer products of the backpropagated columns of L_b:
// one forward and backward pass over the batch repeated dist_dim times (dist_dim times the work
// and memory of the sampled statistics; E[G] is the same, without the sampling noise). The
// log-std then takes its exact natural gradient, g / (2 + damping). With either, stats_decay 0
// and inverse_every 1 precondition each step with this batch's curvature alone.
//
// variant: joint (the above: the paper's Atari form, one step for actor and critic under one
// trust region) or separate (the paper's continuous-control form, baselines' acktr_cont):
//   critic: its own K-FAC optimiser (vf_damping, vf_stats_decay, vf_kl_clip, vf_momentum),
//     vf_iters full-batch steps per update at vf_learning_rate, with optional L2 weight decay on
//     its weights;
//   actor: one K-FAC step of the standardised policy gradient, rescaled to kl_clip, whose step
//     size is adapted after the step from the measured KL(old || new) over the batch:
//     divided by step_factor when above 2 * target_kl, multiplied when below target_kl / 2,
//     kept within [1e-8, 1]; it starts at learning_rate's initial value;
//   both apply momentum as baselines' K-FAC optimiser does: v <- m v + u, theta <- theta - lr (1-m) v.
// For whole-episode batches (the paper's 2500+ steps of complete episodes) see `whole_episodes`.
#pragma once

#include "ratchet/algo.h"
#include <optional>

#include "algo/value_fit.h"
#include "ratchet/kfac.h"

namespace ratchet {

struct AcktrConfig final : AlgoConfig {
  // Each field's key, doc, check and traits: Bind (one Add line per field).
  std::string variant = "joint";
  std::string policy_fisher = "sampled";
  Schedule learning_rate = Schedule::Constant(0.25);
  double kl_clip = 0.001;
  double momentum = 0.9;
  double damping = 0.01;
  double stats_decay = 0.99;
  int inverse_every = 1;
  double ent_coef = 0.0;
  double vf_coef = 0.5;
  double vf_fisher_coef = 1.0;
  double max_grad_norm = 0.5;
  bool normalize_advantage = false;
  // separate variant only
  double target_kl = 0.002;
  double step_factor = 1.5;
  int vf_iters = 25;
  double vf_learning_rate = 0.001;
  double vf_momentum = 0.9;
  double vf_kl_clip = 0.3;
  double vf_damping = 0.1;
  double vf_stats_decay = 0.95;
  double vf_weight_decay = 0.0;

  bool separate() const { return variant == "separate"; }
  bool exact_fisher() const { return policy_fisher == "exact"; }

  void Bind(ConfigBinder& b) override;
  void Validate(const LearnerConfig& train) const override;
  bool SupportsWholeEpisodes() const override { return separate(); }
};

// The separate variant's step-size rule: step / factor when kl > 2 target, step * factor when
// kl < target / 2, else step; the result is kept within [1e-8, 1].
double AdaptAcktrStepSize(double step, double kl, double target, double factor);

class Acktr final : public Algorithm {
 public:
  Acktr(const AcktrConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng, ThreadPool* pool);
  UpdateStats Update(const Rollout& r, double progress_remaining) override;
  double step_size() const { return step_size_; }  // the separate variant's adapted step size
  const Kfac& policy_kfac() const { return kfac_pi_; }

  std::string NonFiniteState() const override;

 protected:
  void SerializeExtra(Archive& ar) override;

 private:
  UpdateStats UpdateJoint(double progress_remaining);
  UpdateStats UpdateSeparate();
  // Folds the actor's Fisher statistics for the batch obs_ with distribution parameters dist
  // (sampled or exact, by policy_fisher) into kfac_pi_.
  void PolicyFisherStats(const MatMap<float>& dist, int M);
  // Folds the joint variant's critic sampled-Fisher statistics for the last Forward into kfac_v_.
  void ValueFisherStats(int M);
  AcktrConfig cfg_;
  Kfac kfac_pi_, kfac_v_;             // kfac_v_: the joint variant's critic
  std::optional<KfacValueFitter> vfit_;  // the separate variant's critic
  double step_size_ = 0;
  AlignedVector<float> nat_pi_, nat_v_, mom_pi_, mom_v_, scratch_pi_, scratch_v_;
  Mat<float> obs_, act_, d_dist_, d_value_, old_dist_;
  Mat<float> obs_rep_, d_rep_;            // exact Fisher: the batch repeated dist_dim times
  std::vector<float> old_log_std_;
  std::vector<float> adv_, ret_, sample_;  // the batch's advantages and value targets
  std::vector<int> keep_;                 // whole episodes: the rollout's valid steps
  MlpWorkspace<float> ws_pi_, ws_v_, ws_fisher_;
};

}  // namespace ratchet
