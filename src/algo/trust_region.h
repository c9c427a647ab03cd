// Shared second-order machinery for NPG and TRPO (and the checks of ACKTR): conjugate gradient,
// the policy-gradient and Fisher products over a batch, and the backtracking line search.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "ratchet/policy.h"

namespace ratchet {

// Solves A x = b for symmetric positive-definite A given only as products Av(v, out): out = A v.
// Standard conjugate gradient from x = 0 (Hestenes & Stiefel 1952; the form in Spinning Up's
// TRPO), stopping after `iters` iterations or when the squared residual drops below
// residual_tol. Returns the iterations run.
template <typename T>
int ConjugateGradient(const std::function<void(std::span<const T>, std::span<T>)>& Av,
                      std::span<const T> b, std::span<T> x, int iters, double residual_tol = 1e-10);

// The gradient of the surrogate (1/B) sum_b adv_b * pi(a_b|s_b) / pi_old(a_b|s_b) at pi = pi_old,
// i.e. (1/B) sum_b adv_b grad log pi(a_b|s_b), for the batch of the last Forward with ws.
// Overwrites g (num_params).
template <typename T>
void SurrogateGradient(PolicyT<T>& policy, const Mat<T>& actions, std::span<const T> adv,
                       MlpWorkspace<T>& ws, std::span<T> g);

// One part of a batch: g (num_params) += weight * sum over the part's samples of adv_b grad log
// pi(a_b|s_b), for the part of the last Forward with ws (its column k is the batch's sample
// begin + k); d_dist is scratch.
template <typename T>
void SurrogateGradientPart(PolicyT<T>& policy, const Mat<T>& actions, std::span<const T> adv, int begin,
                           T weight, MlpWorkspace<T>& ws, Mat<T>& d_dist, std::span<T> g);

// The old policy on a batch, for the surrogate ratio and the KL of a candidate step.
template <typename T>
struct OldPolicyBatch {
  Mat<T> dist;             // (dist_dim, B) old distribution parameters
  std::vector<T> log_std;  // old log-std (Gaussian policies; empty for Categorical)
  std::vector<T> logp;     // (B) old log-probabilities of the batch's actions
};

// Records the policy's current distribution on obs as the old policy.
template <typename T>
void RecordOldPolicy(const PolicyT<T>& policy, const Mat<T>& obs, const Mat<T>& actions,
                     MlpWorkspace<T>& ws, OldPolicyBatch<T>* old);

// For the policy's current parameters: {mean over the batch of adv * (ratio - 1), mean
// KL(old || new)}, i.e. the surrogate's gain over the old policy and the measured KL.
template <typename T>
std::pair<double, double> SurrogateGainAndKl(const PolicyT<T>& policy, const Mat<T>& obs,
                                             const Mat<T>& actions, std::span<const T> adv,
                                             const OldPolicyBatch<T>& old, MlpWorkspace<T>& ws);

// One part of a batch, columns [begin, begin + n): the sums (not means) over its samples of
// adv * (ratio - 1) and of KL(old || new) for the policy's current parameters (a Forward with ws).
template <typename T>
std::pair<double, double> SurrogateGainAndKlPart(const PolicyT<T>& policy, const Mat<T>& obs, const Mat<T>& actions,
                                                 std::span<const T> adv, const OldPolicyBatch<T>& old, int begin,
                                                 int n, MlpWorkspace<T>& ws);

// Outcome of a backtracking line search.
struct LineSearchResult {
  bool accepted = false;
  int backtracks = 0;        // halvings (or decays) applied before the accepted step
  double fraction = 0.0;     // accepted step = fraction * full step (0 when rejected)
  double improvement = 0.0;  // surrogate gain of the accepted step
  double kl = 0.0;           // mean KL(old || new) of the accepted step
};

// Tries fractions 1, decay, decay^2, ... (max_backtracks + 1 tries). eval(fraction) must move the
// parameters to old + fraction * full_step and return {surrogate improvement, mean KL}; a step is
// accepted when the improvement is positive and the KL is at most max_kl. When none is, restore()
// puts the old parameters back.
LineSearchResult BacktrackingLineSearch(const std::function<std::pair<double, double>(double)>& eval,
                                        const std::function<void()>& restore, double max_kl,
                                        int max_backtracks, double decay);

}  // namespace ratchet
