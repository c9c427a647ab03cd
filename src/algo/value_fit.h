// Regression of the value function on the rollout's returns with Adam (ValueFitter) or K-FAC
// (KfacValueFitter). ValueFitter: Adam: `epochs` passes of
// shuffled minibatches, minimising mean (V(s) - R)^2. Shared by VPG, NPG and TRPO, whose policy
// step is separate from the critic's (A2C and PPO fit the value inside their joint loss).
#pragma once

#include "algo/losses.h"
#include "ratchet/algo.h"
#include "ratchet/kfac.h"

namespace ratchet {

class ValueFitter {
 public:
  ValueFitter(ValueFunction& value, double adam_eps);
  // Returns the mean squared error over the last epoch's minibatches.
  double Fit(const Rollout& r, int epochs, int batch_size, double lr, Rng& rng);
  const Adam& adam() const { return adam_; }
  Adam& adam() { return adam_; }

 private:
  ValueFunction& value_;
  Adam adam_;
  std::vector<int> order_;
  Mat<float> obs_mb_, d_value_;
  std::vector<float> ret_mb_;
  MlpWorkspace<float> ws_;
};

struct KfacFitConfig {
  double learning_rate = 0.001;  // step size
  double momentum = 0.9;         // momentum, applied as KfacMomentumStep does
  double kl_clip = 0.3;          // bound on the quadratic estimate of one step
  double damping = 0.1;          // Tikhonov damping of the factors
  double stats_decay = 0.95;     // running-average factor of the statistics
  int inverse_every = 1;         // eigendecomposition refresh interval, in steps
  double weight_decay = 0.0;     // L2 coefficient on the weights (not biases): grad += wd * W
  double fisher_coef = 1.0;      // the output-gradient variance of the Fisher's Gaussian model
};

// The critic of ACKTR's continuous-control form: full-batch K-FAC steps on mean (V(s) - R)^2.
// The Fisher is that of a Gaussian model V(s) + noise with variance fisher_coef; for a scalar
// output its expectation over the noise is exact (the per-sample output gradient's square has
// mean fisher_coef), so the statistics use the output gradient sqrt(fisher_coef) per sample
// instead of a sampled one.
class KfacValueFitter {
 public:
  KfacValueFitter(ValueFunction& value, const KfacFitConfig& cfg);
  // `iters` steps on the batch obs (obs_dim, B) -> returns (B); returns the mean squared error
  // before the last step.
  double Fit(const Eigen::Ref<const Mat<float>>& obs, std::span<const float> returns, int iters);
  const Kfac& kfac() const { return kfac_; }
  std::span<const float> momentum() const { return mom_; }
  void Serialize(Archive& ar);

 private:
  ValueFunction& value_;
  KfacFitConfig cfg_;
  Kfac kfac_;
  AlignedVector<float> nat_, mom_, scratch_;
  Mat<float> d_value_;
  MlpWorkspace<float> ws_;
};

}  // namespace ratchet
