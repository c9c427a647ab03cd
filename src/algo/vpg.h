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
  Schedule learning_rate = Schedule::Constant(3e-4);  // policy Adam step size
  std::string return_type = "reward_to_go";  // reward_to_go or total
  bool baseline = true;                 // subtract the learned V(s_t)
  bool use_gae = false;                 // use the GAE(gamma, gae_lambda) advantage (needs baseline)
  bool normalize_advantage = true;      // batch normalisation of Psi (as Spinning Up)
  double ent_coef = 0.0;                // entropy bonus weight
  Schedule vf_learning_rate = Schedule::Constant(1e-3);  // critic Adam step size
  int vf_iters = 80;                    // critic epochs per batch
  int vf_batch_size = 100000;           // critic minibatch size (default: the whole batch)
  double adam_eps = 1e-8;               // Adam epsilon

  void Bind(ConfigBinder& b) override;
  void Validate(const LearnerConfig& train) const override;
};

class Vpg final : public Algorithm {
 public:
  Vpg(const VpgConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng, ThreadPool* pool);
  UpdateStats Update(const Rollout& r, double progress_remaining) override;

  std::string NonFiniteState() const override;

 protected:
  void SaveExtra(ByteWriter& w) const override;
  void RestoreExtra(ByteReader& r) override;

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
