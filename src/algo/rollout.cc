#include <cmath>

#include "ratchet/algo.h"

namespace ratchet {

void Rollout::Resize(int T_, int N_, int obs_dim_, int act_dim_) {
  T = T_;
  N = N_;
  obs_dim = obs_dim_;
  act_dim = act_dim_;
  const size_t n = static_cast<size_t>(T) * N;
  obs.assign(n * obs_dim, 0.0f);
  actions.assign(n * act_dim, 0.0f);
  for (auto* v : {&logp, &values, &rewards, &final_values, &advantages, &returns}) v->assign(n, 0.0f);
  terminated.assign(n, 0);
  truncated.assign(n, 0);
  last_values.assign(N, 0.0f);
}

void ComputeGae(Rollout& r, double gamma, double lambda) {
  const int T = r.T, N = r.N;
  for (int i = 0; i < N; ++i) {
    double next_adv = 0.0;
    double next_value = r.last_values[i];
    for (int t = T - 1; t >= 0; --t) {
      const size_t k = static_cast<size_t>(t) * N + i;
      double v_next = next_value, carry = next_adv;
      if (r.terminated[k]) {
        v_next = 0.0;
        carry = 0.0;
      } else if (r.truncated[k]) {
        v_next = r.final_values[k];
        carry = 0.0;
      }
      const double delta = r.rewards[k] + gamma * v_next - r.values[k];
      const double adv = delta + gamma * lambda * carry;
      r.advantages[k] = static_cast<float>(adv);
      r.returns[k] = static_cast<float>(adv + r.values[k]);
      next_adv = adv;
      next_value = r.values[k];
    }
  }
}

double ExplainedVariance(std::span<const float> values, std::span<const float> returns) {
  const size_t n = returns.size();
  if (n < 2) return NAN;
  double mr = 0, md = 0;
  for (size_t k = 0; k < n; ++k) {
    mr += returns[k];
    md += returns[k] - values[k];
  }
  mr /= n;
  md /= n;
  double vr = 0, vd = 0;
  for (size_t k = 0; k < n; ++k) {
    vr += (returns[k] - mr) * (returns[k] - mr);
    const double d = returns[k] - values[k] - md;
    vd += d * d;
  }
  return vr == 0 ? NAN : 1.0 - vd / vr;
}

}  // namespace ratchet
