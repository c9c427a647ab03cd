// REINFORCE / vanilla policy gradient: Williams 1992, "Simple Statistical Gradient-Following
// Algorithms for Connectionist Reinforcement Learning"; the form of Spinning Up's VPG. One
// gradient step (Adam) per batch on -mean(Psi_t log pi(a_t|s_t)), then the batch is discarded.
//   Psi_t = R(tau)                 return_type total: the whole trajectory's discounted return
//         = sum_{k>=t} g^(k-t) r_k return_type reward_to_go (the default)
//   minus V(s_t) when baseline is on, or the GAE(gamma, lambda) advantage when use_gae is on.
// The value function is fitted by regression on the returns (vf_iters epochs of Adam) and is used
// to bootstrap episodes cut by the time limit or by the end of the batch, even without a baseline.
// Deviation: with return_type total, an episode that began in an earlier batch is credited with
// the return of its part inside this batch.
#pragma once

#include "algo/value_fit.h"
#include "ratchet/algo.h"

namespace ratchet {

struct VpgConfig final : AlgoConfig {
  // Each field's key, doc, check and traits: Bind (one Add line per field).
  Schedule learning_rate = Schedule::Constant(3e-4);
  std::string return_type = "reward_to_go";
  bool baseline = true;
  bool use_gae = false;
  bool normalize_advantage = true;
  double ent_coef = 0.0;
  Schedule vf_learning_rate = Schedule::Constant(1e-3);
  int vf_iters = 80;
  int vf_batch_size = 100000;
  double adam_eps = 1e-8;

  void Bind(ConfigBinder& b) override;
  void Validate(const LearnerConfig& train) const override;
};

class Vpg final : public Algorithm {
 public:
  Vpg(const VpgConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng, ThreadPool* pool);
  UpdateStats Update(const Rollout& r, double progress_remaining) override;

  std::string NonFiniteState() const override;

 protected:
  void SerializeExtra(Archive& ar) override;

 private:
  VpgConfig cfg_;
  double gamma_;
  Adam adam_;
  ValueFitter fitter_;
  Mat<float> obs_, act_, d_dist_;
  std::vector<float> psi_;
  MlpWorkspace<float> ws_;
};

// Psi for VPG from a rollout (values used for bootstrapping and, with baseline, subtraction).
void VpgWeights(const Rollout& r, double gamma, const VpgConfig& cfg, std::vector<float>* psi);

}  // namespace ratchet
