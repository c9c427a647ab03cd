// Loss pieces shared by the algorithms: advantage normalisation, the policy-gradient loss and the
// value regression loss, each accumulating its gradient into the network's flat gradient.
#pragma once

#include <cmath>
#include <span>
#include <string>

#include <span>

#include "ratchet/policy.h"

namespace ratchet {

// Shifts and scales x to mean 0 and (unbiased) std 1, as torch does: (x - mean) / (std + 1e-8).
void NormalizeInPlace(std::span<float> x);

struct PgLoss {
  double loss = 0;     // mean of -w_b log pi(a_b | s_b)
  double entropy = 0;  // mean entropy
};

// The loss -mean_b(w_b log pi(a_b|s_b)) - ent_coef mean_b(H_b) for the batch of the last Forward
// with ws (dist is its output): accumulates the gradient into policy.grads() via d_dist and
// Backward.
PgLoss AccumulatePolicyGradient(Policy& policy, const Eigen::Ref<const Mat<float>>& dist,
                                const Eigen::Ref<const Mat<float>>& actions,
                                std::span<const float> weights, double ent_coef, Mat<float>& d_dist,
                                MlpWorkspace<float>& ws);

// The loss coef * mean_b (V_b - R_b)^2 for the batch of the last Forward with ws (v is its
// output): accumulates the gradient into value.grads(); returns the unweighted mean squared error.
double AccumulateValueGradient(ValueFunction& value, const Eigen::Ref<const Mat<float>>& v,
                               std::span<const float> returns, double coef, Mat<float>& d_value,
                               MlpWorkspace<float>& ws);

// "" when every value is finite, else "<what> <index>" of the first that is not.
inline std::string FirstNonFiniteIn(std::span<const float> v, const std::string& what) {
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) return what + " " + std::to_string(i);
  return "";
}

}  // namespace ratchet
