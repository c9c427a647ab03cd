// Regression of the value function on the rollout's returns with Adam: `epochs` passes of
// shuffled minibatches, minimising mean (V(s) - R)^2. Shared by VPG, NPG and TRPO, whose policy
// step is separate from the critic's (A2C and PPO fit the value inside their joint loss).
#pragma once

#include "algo/losses.h"
#include "ratchet/algo.h"

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

}  // namespace ratchet
