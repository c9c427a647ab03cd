// Ratchet policies and value functions: an MLP with a distribution head.
//
// A policy's flat parameter vector is [MLP parameters | log-std (Box actions only)]; its output
// per sample is the distribution's parameters: logits (n) for Discrete actions, the mean (D) for
// Box actions, with the state-independent log-std read from the tail of the parameter vector.
#pragma once

#include <span>
#include <vector>

#include "ratchet/env.h"
#include "ratchet/nn.h"

namespace ratchet {

struct NetConfig {
  std::vector<int> hidden{64, 64};         // hidden widths of both networks
  Activation activation = Activation::kTanh;
  double log_std_init = 0.0;               // initial log-std of Gaussian policies
};

class Policy {
 public:
  Policy(const Space& obs_space, const Space& action_space, const NetConfig& net);

  // Orthogonal init (gain 0.01 on the head), zero biases, log-std = log_std_init.
  void Init(Rng& rng);

  bool discrete() const { return discrete_; }
  int obs_dim() const { return mlp_.spec().in; }
  int dist_dim() const { return mlp_.spec().out; }  // logits n, or mean D
  int act_dim() const { return discrete_ ? 1 : mlp_.spec().out; }  // floats per action
  const Mlp<float>& mlp() const { return mlp_; }

  int num_params() const { return static_cast<int>(params_.size()); }
  std::span<float> params() { return params_; }
  std::span<const float> params() const { return params_; }
  std::span<float> grads() { return grads_; }
  void ZeroGrad() { std::fill(grads_.begin(), grads_.end(), 0.0f); }
  std::span<const float> log_std() const {
    return std::span<const float>(params_).subspan(mlp_.num_params());
  }

  // Distribution parameters (dist_dim, B) for observations (obs_dim, B).
  MatMap<float> Forward(const Eigen::Ref<const Mat<float>>& obs, MlpWorkspace<float>& ws) const {
    return mlp_.Forward(std::span<const float>(params_).first(mlp_.num_params()), obs, ws);
  }
  // Accumulates into grads() given d_dist = dL/d(dist params) (dist_dim, B) for the batch of the
  // last Forward with ws. Log-std gradients are accumulated by AccumulateGrad directly.
  void Backward(const Eigen::Ref<const Mat<float>>& d_dist, MlpWorkspace<float>& ws) {
    const int n = mlp_.num_params();
    mlp_.Backward(std::span<const float>(params_).first(n), std::span<float>(grads_).first(n),
                  d_dist, ws);
  }

  // Per-sample functions of one column `dp` of Forward's output.
  float LogProb(const float* dp, const float* action) const;
  float Entropy(const float* dp) const;
  // d_dp (dist_dim) += c_logp * dlogp/d(dp) + c_ent * dH/d(dp); the log-std part goes straight
  // into grads().
  void AccumulateGrad(const float* dp, const float* action, float c_logp, float c_ent,
                      float* d_dp);
  void Sample(const float* dp, Rng& rng, float* action) const;
  void Mode(const float* dp, float* action) const;

 private:
  bool discrete_;
  Mlp<float> mlp_;
  NetConfig net_;
  AlignedVector<float> params_, grads_;
};

class ValueFunction {
 public:
  ValueFunction(int obs_dim, const NetConfig& net);
  void Init(Rng& rng);  // orthogonal, gain 1 on the head

  int num_params() const { return mlp_.num_params(); }
  std::span<float> params() { return params_; }
  std::span<const float> params() const { return params_; }
  std::span<float> grads() { return grads_; }
  void ZeroGrad() { std::fill(grads_.begin(), grads_.end(), 0.0f); }
  const Mlp<float>& mlp() const { return mlp_; }

  // Values (1, B) for observations (obs_dim, B).
  MatMap<float> Forward(const Eigen::Ref<const Mat<float>>& obs, MlpWorkspace<float>& ws) const {
    return mlp_.Forward(params_, obs, ws);
  }
  void Backward(const Eigen::Ref<const Mat<float>>& d_value, MlpWorkspace<float>& ws) {
    mlp_.Backward(params_, grads_, d_value, ws);
  }

 private:
  Mlp<float> mlp_;
  AlignedVector<float> params_, grads_;
};

}  // namespace ratchet
