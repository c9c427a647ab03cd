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

template <typename T>
PolicyT<T>::PolicyT(const Space& obs_space, const Space& action_space, const NetConfig& net)
    : discrete_(action_space.is_discrete()), mlp_(PolicySpec(obs_space, action_space, net)),
      net_(net) {
  const int n = mlp_.num_params() + (discrete_ ? 0 : mlp_.spec().out);
  params_.assign(n, T(0));
  grads_.assign(n, T(0));
}

template <typename T>
void PolicyT<T>::Init(Rng& rng) {
  if (net_.ortho_init)
    mlp_.Init(std::span<T>(params_).first(mlp_.num_params()), rng, 0.01);
  else
    mlp_.InitUniform(std::span<T>(params_).first(mlp_.num_params()), rng);
  std::fill(params_.begin() + mlp_.num_params(), params_.end(), static_cast<T>(net_.log_std_init));
}

template <typename T>
T PolicyT<T>::LogProb(const T* dp, const T* action) const {
  if (discrete_) return Categorical::LogProb(dp, dist_dim(), static_cast<int>(action[0]));
  return DiagGaussian::LogProb(dp, log_std().data(), dist_dim(), action);
}

template <typename T>
T PolicyT<T>::Entropy(const T* dp) const {
  if (discrete_) return Categorical::Entropy(dp, dist_dim());
  return DiagGaussian::Entropy(log_std().data(), dist_dim());
}

template <typename T>
T PolicyT<T>::Kl(const T* old_dp, const T* old_log_std, const T* dp) const {
  if (discrete_) return Categorical::Kl(old_dp, dp, dist_dim());
  return DiagGaussian::Kl(old_dp, old_log_std, dp, log_std().data(), dist_dim());
}

template <typename T>
void PolicyT<T>::AccumulateGrad(const T* dp, const T* action, T c_logp, T c_ent, T* d_dp, T* grads) {
  if (discrete_) {
    Categorical::LogProbGrad(dp, dist_dim(), static_cast<int>(action[0]), c_logp, d_dp);
    if (c_ent != T(0)) Categorical::EntropyGrad(dp, dist_dim(), c_ent, d_dp);
    return;
  }
  T* d_log_std = (grads != nullptr ? grads : grads_.data()) + mlp_.num_params();
  DiagGaussian::LogProbGrad(dp, log_std().data(), dist_dim(), action, c_logp, d_dp, d_log_std);
  if (c_ent != T(0)) DiagGaussian::EntropyGrad(dist_dim(), c_ent, d_log_std);
}

template <typename T>
void PolicyT<T>::AccumulateKlGrad(const T* old_dp, const T* old_log_std, const T* dp, T scale, T* d_dp,
                                   T* grads) {
  if (discrete_) {
    Categorical::KlGrad(old_dp, dp, dist_dim(), scale, d_dp);
    return;
  }
  DiagGaussian::KlGrad(old_dp, old_log_std, dp, log_std().data(), dist_dim(), scale, d_dp,
                       (grads != nullptr ? grads : grads_.data()) + mlp_.num_params());
}

template <typename T>
void PolicyT<T>::Sample(const T* dp, Rng& rng, T* action) const {
  if (discrete_) {
    action[0] = static_cast<T>(Categorical::Sample(dp, dist_dim(), rng));
  } else {
    DiagGaussian::Sample(dp, log_std().data(), dist_dim(), rng, action);
  }
}

template <typename T>
void PolicyT<T>::FisherFactor(const T* dp, int k, T* out) const {
  if (discrete_) {
    Categorical::FisherFactor(dp, dist_dim(), k, out);
  } else {
    DiagGaussian::FisherFactor(log_std().data(), dist_dim(), k, out);
  }
}

template <typename T>
void PolicyT<T>::Mode(const T* dp, T* action) const {
  if (discrete_) {
    action[0] = static_cast<T>(Categorical::Mode(dp, dist_dim()));
  } else {
    std::copy(dp, dp + dist_dim(), action);
  }
}

template <typename T>
void PolicyT<T>::FisherVectorProductSum(std::span<const T> v, MlpWorkspace<T>& ws, T weight, std::span<T> out,
                                        Mat<T>& tmp) const {
  const int n = mlp_.num_params();
  const int B = ws.last_batch;
  RATCHET_CHECK(static_cast<int>(v.size()) == num_params() && out.size() == v.size(),
                "FisherVectorProduct sizes");
  const auto pm = std::span<const T>(params_).first(n);
  // J v for the network part: the tangent of every sample's distribution parameters
  const MatMap<T> jv = mlp_.Jvp(pm, v.first(n), ws);  // (dist_dim, B)
  const MatMap<T> dp(ws.act[mlp_.num_layers()].data(), dist_dim(), B);
  tmp.setZero(dist_dim(), B);
  for (int b = 0; b < B; ++b) {
    if (discrete_) {
      Categorical::FisherTimes(dp.col(b).data(), dist_dim(), jv.col(b).data(), weight, tmp.col(b).data());
    } else {
      DiagGaussian::FisherMeanTimes(log_std().data(), dist_dim(), jv.col(b).data(), weight, tmp.col(b).data());
    }
  }
  std::fill(out.begin(), out.end(), T(0));
  mlp_.Backward(pm, out.first(n), tmp, ws);
}

template <typename T>
void PolicyT<T>::FisherVectorProduct(std::span<const T> v, MlpWorkspace<T>& ws, std::span<T> out) const {
  FisherVectorProductSum(v, ws, T(1) / static_cast<T>(ws.last_batch), out, fisher_tmp_);
  // the log-std block: the Fisher of N(mu, sigma) in log sigma is 2 per dimension, with no
  // cross terms to the mean, so its mean over the batch is 2 v
  for (int k = mlp_.num_params(); k < num_params(); ++k) out[k] = T(2) * v[k];
}

template class PolicyT<float>;
template class PolicyT<double>;

ValueFunction::ValueFunction(int obs_dim, const NetConfig& net)
    : mlp_(MlpSpec{obs_dim, net.hidden, 1, net.activation}),
      params_(mlp_.num_params(), 0.0f),
      grads_(mlp_.num_params(), 0.0f),
      ortho_init_(net.ortho_init) {}

void ValueFunction::Init(Rng& rng) {
  if (ortho_init_)
    mlp_.Init(params_, rng, 1.0);
  else
    mlp_.InitUniform(params_, rng);
}

}  // namespace ratchet
