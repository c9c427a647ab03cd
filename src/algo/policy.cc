#include "ratchet/policy.h"

#include <cmath>
#include <fmt/format.h>

#include "ratchet/dist.h"

namespace ratchet {
namespace {

MlpSpec PolicySpec(const Space& obs, const Space& act, const NetConfig& net) {
  if (obs.is_discrete()) throw Error("Discrete observation spaces are not supported; use a Box");
  if (act.is_discrete() && act.n > Categorical::kMaxActions)
    throw Error(fmt::format("Discrete({}) has more actions than the supported {}", act.n,
                            Categorical::kMaxActions));
  return {obs.flat_dim(), net.hidden, act.is_discrete() ? act.n : act.flat_dim(), net.activation};
}

}  // namespace

Policy::Policy(const Space& obs_space, const Space& action_space, const NetConfig& net)
    : discrete_(action_space.is_discrete()), mlp_(PolicySpec(obs_space, action_space, net)),
      net_(net) {
  const int n = mlp_.num_params() + (discrete_ ? 0 : mlp_.spec().out);
  params_.assign(n, 0.0f);
  grads_.assign(n, 0.0f);
}

void Policy::Init(Rng& rng) {
  mlp_.Init(std::span<float>(params_).first(mlp_.num_params()), rng, 0.01);
  std::fill(params_.begin() + mlp_.num_params(), params_.end(),
            static_cast<float>(net_.log_std_init));
}

float Policy::LogProb(const float* dp, const float* action) const {
  if (discrete_) return Categorical::LogProb(dp, dist_dim(), static_cast<int>(action[0]));
  return DiagGaussian::LogProb(dp, log_std().data(), dist_dim(), action);
}

float Policy::Entropy(const float* dp) const {
  if (discrete_) return Categorical::Entropy(dp, dist_dim());
  return DiagGaussian::Entropy(log_std().data(), dist_dim());
}

void Policy::AccumulateGrad(const float* dp, const float* action, float c_logp, float c_ent,
                            float* d_dp) {
  if (discrete_) {
    Categorical::LogProbGrad(dp, dist_dim(), static_cast<int>(action[0]), c_logp, d_dp);
    if (c_ent != 0.0f) Categorical::EntropyGrad(dp, dist_dim(), c_ent, d_dp);
    return;
  }
  float* d_log_std = grads_.data() + mlp_.num_params();
  DiagGaussian::LogProbGrad(dp, log_std().data(), dist_dim(), action, c_logp, d_dp, d_log_std);
  if (c_ent != 0.0f) DiagGaussian::EntropyGrad(dist_dim(), c_ent, d_log_std);
}

void Policy::Sample(const float* dp, Rng& rng, float* action) const {
  if (discrete_) {
    action[0] = static_cast<float>(Categorical::Sample(dp, dist_dim(), rng));
  } else {
    DiagGaussian::Sample(dp, log_std().data(), dist_dim(), rng, action);
  }
}

void Policy::Mode(const float* dp, float* action) const {
  if (discrete_) {
    action[0] = static_cast<float>(Categorical::Mode(dp, dist_dim()));
  } else {
    std::copy(dp, dp + dist_dim(), action);
  }
}

ValueFunction::ValueFunction(int obs_dim, const NetConfig& net)
    : mlp_(MlpSpec{obs_dim, net.hidden, 1, net.activation}),
      params_(mlp_.num_params(), 0.0f),
      grads_(mlp_.num_params(), 0.0f) {}

void ValueFunction::Init(Rng& rng) { mlp_.Init(params_, rng, 1.0); }

}  // namespace ratchet
