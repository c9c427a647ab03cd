// Ratchet policies and value functions: an MLP with a distribution head.
//
// A policy's flat parameter vector is [MLP parameters | log-std (Box actions only)]; its output
// per sample is the distribution's parameters: logits (n) for Discrete actions, the mean (D) for
// Box actions, with the state-independent log-std read from the tail of the parameter vector.
// PolicyT is instantiated in float (training) and double (gradient and Fisher checks).
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
  bool ortho_init = true;                  // Mlp::Init; false: Mlp::InitUniform
};

template <typename T>
class PolicyT {
 public:
  PolicyT(const Space& obs_space, const Space& action_space, const NetConfig& net);

  // Orthogonal init (gain 0.01 on the head), zero biases (or Mlp::InitUniform without ortho_init),
  // log-std = log_std_init.
  void Init(Rng& rng);

  bool discrete() const { return discrete_; }
  int obs_dim() const { return mlp_.spec().in; }
  int dist_dim() const { return mlp_.spec().out; }  // logits n, or mean D
  int act_dim() const { return discrete_ ? 1 : mlp_.spec().out; }  // floats per action
  const Mlp<T>& mlp() const { return mlp_; }

  int num_params() const { return static_cast<int>(params_.size()); }
  std::span<T> params() { return params_; }
  std::span<const T> params() const { return params_; }
  std::span<T> grads() { return grads_; }
  void ZeroGrad() { std::fill(grads_.begin(), grads_.end(), T(0)); }
  std::span<const T> log_std() const { return std::span<const T>(params_).subspan(mlp_.num_params()); }

  // Distribution parameters (dist_dim, B) for observations (obs_dim, B).
  MatMap<T> Forward(const Eigen::Ref<const Mat<T>>& obs, MlpWorkspace<T>& ws) const {
    return mlp_.Forward(std::span<const T>(params_).first(mlp_.num_params()), obs, ws);
  }
  // Accumulates into grads() given d_dist = dL/d(dist params) (dist_dim, B) for the batch of the
  // last Forward with ws. Log-std gradients are accumulated by AccumulateGrad directly.
  void Backward(const Eigen::Ref<const Mat<T>>& d_dist, MlpWorkspace<T>& ws) { Backward(d_dist, ws, grads_); }
  // The same into another gradient buffer of num_params() values.
  void Backward(const Eigen::Ref<const Mat<T>>& d_dist, MlpWorkspace<T>& ws, std::span<T> grads) const {
    const int n = mlp_.num_params();
    mlp_.Backward(std::span<const T>(params_).first(n), grads.first(n), d_dist, ws);
  }

  // Per-sample functions of one column `dp` of Forward's output.
  T LogProb(const T* dp, const T* action) const;
  T Entropy(const T* dp) const;
  // KL(old || this) where old_dp / old_log_std are the old distribution's parameters (old_log_std
  // is ignored for Categorical policies).
  T Kl(const T* old_dp, const T* old_log_std, const T* dp) const;
  // d_dp (dist_dim) += c_logp * dlogp/d(dp) + c_ent * dH/d(dp); the log-std part goes straight
  // into grads(), or into `grads` (num_params() values) when given.
  void AccumulateGrad(const T* dp, const T* action, T c_logp, T c_ent, T* d_dp, T* grads = nullptr);
  // d_dp += scale * dKL(old || this)/d(dp); the log-std part as for AccumulateGrad.
  void AccumulateKlGrad(const T* old_dp, const T* old_log_std, const T* dp, T scale, T* d_dp, T* grads = nullptr);
  void Sample(const T* dp, Rng& rng, T* action) const;
  // Column k (0 <= k < dist_dim()) of a square root L of the distribution's Fisher metric in its
  // parameters dp (M = L L^T; the log-std block excluded): dist_dim() values into out.
  void FisherFactor(const T* dp, int k, T* out) const;
  void Mode(const T* dp, T* action) const;

  // Fisher-vector product of the mean Fisher information over the batch of the last Forward with
  // ws: out = (1/B) sum_b J_b^T M_b J_b v, with J_b the Jacobian of sample b's distribution
  // parameters (including the log-std) with respect to all parameters and M_b the Fisher metric
  // of the distribution in those parameters. Uses the network's forward-mode JVP and backward;
  // overwrites out.
  void FisherVectorProduct(std::span<const T> v, MlpWorkspace<T>& ws, std::span<T> out) const;
  // The network block of that product for one part of a batch, summed and weighted: out =
  // weight sum_b J_b^T M_b J_b v over the batch of the last Forward with ws, zero in the log-std
  // block (whose Fisher, 2 per dimension, the caller adds once). tmp is scratch.
  void FisherVectorProductSum(std::span<const T> v, MlpWorkspace<T>& ws, T weight, std::span<T> out,
                              Mat<T>& tmp) const;

 private:
  bool discrete_;
  Mlp<T> mlp_;
  NetConfig net_;
  AlignedVector<T> params_, grads_;
  mutable Mat<T> fisher_tmp_;  // (dist_dim, B) scratch for FisherVectorProduct
};

using Policy = PolicyT<float>;

class ValueFunction {
 public:
  ValueFunction(int obs_dim, const NetConfig& net);
  void Init(Rng& rng);  // orthogonal, gain 1 on the head (or Mlp::InitUniform without ortho_init)

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
  bool ortho_init_ = true;
};

}  // namespace ratchet
