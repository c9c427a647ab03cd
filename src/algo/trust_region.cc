#include "algo/trust_region.h"

#include <cmath>

namespace ratchet {

template <typename T>
int ConjugateGradient(const std::function<void(std::span<const T>, std::span<T>)>& Av,
                      std::span<const T> b, std::span<T> x, int iters, double residual_tol) {
  const size_t n = b.size();
  RATCHET_CHECK(x.size() == n, "ConjugateGradient sizes");
  AlignedVector<T> r(b.begin(), b.end()), p(b.begin(), b.end()), Ap(n);
  std::fill(x.begin(), x.end(), T(0));
  auto dot = [n](const AlignedVector<T>& a, const AlignedVector<T>& c) {
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * c[i];
    return s;
  };
  double rr = dot(r, r);
  int k = 0;
  for (; k < iters && rr > residual_tol; ++k) {
    Av(p, Ap);
    const double pAp = dot(p, Ap);
    if (!(pAp > 0)) break;  // not positive definite along p (or NaN): stop with what we have
    const double alpha = rr / pAp;
    for (size_t i = 0; i < n; ++i) {
      x[i] += static_cast<T>(alpha * p[i]);
      r[i] -= static_cast<T>(alpha * Ap[i]);
    }
    const double rr_new = dot(r, r);
    const double beta = rr_new / rr;
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<T>(r[i] + beta * p[i]);
    rr = rr_new;
  }
  return k;
}

template <typename T>
void SurrogateGradientPart(PolicyT<T>& policy, const Mat<T>& actions, std::span<const T> adv, int begin,
                           T weight, MlpWorkspace<T>& ws, Mat<T>& d_dist, std::span<T> g) {
  const int n = ws.last_batch;
  const int L = policy.mlp().num_layers();
  const MatMap<T> dp(ws.act[L].data(), policy.dist_dim(), n);
  d_dist.setZero(policy.dist_dim(), n);
  for (int k = 0; k < n; ++k)
    policy.AccumulateGrad(dp.col(k).data(), actions.col(begin + k).data(), adv[begin + k] * weight, T(0),
                          d_dist.col(k).data(), g.data());
  policy.Backward(d_dist, ws, g);
}

template <typename T>
void SurrogateGradient(PolicyT<T>& policy, const Mat<T>& actions, std::span<const T> adv,
                       MlpWorkspace<T>& ws, std::span<T> g) {
  std::fill(g.begin(), g.end(), T(0));
  Mat<T> d_dist;
  SurrogateGradientPart(policy, actions, adv, 0, T(1) / static_cast<T>(ws.last_batch), ws, d_dist, g);
}

template <typename T>
void RecordOldPolicy(const PolicyT<T>& policy, const Mat<T>& obs, const Mat<T>& actions,
                     MlpWorkspace<T>& ws, OldPolicyBatch<T>* old) {
  old->dist = policy.Forward(obs, ws);
  old->log_std.assign(policy.log_std().begin(), policy.log_std().end());
  old->logp.resize(obs.cols());
  for (int b = 0; b < obs.cols(); ++b)
    old->logp[b] = policy.LogProb(old->dist.col(b).data(), actions.col(b).data());
}

template <typename T>
std::pair<double, double> SurrogateGainAndKlPart(const PolicyT<T>& policy, const Mat<T>& obs, const Mat<T>& actions,
                                                 std::span<const T> adv, const OldPolicyBatch<T>& old, int begin,
                                                 int n, MlpWorkspace<T>& ws) {
  const MatMap<T> dist = policy.Forward(obs.middleCols(begin, n), ws);
  double gain = 0, kl = 0;
  for (int k = 0; k < n; ++k) {
    const int b = begin + k;
    const T* dp = dist.col(k).data();
    const double log_ratio = static_cast<double>(policy.LogProb(dp, actions.col(b).data())) - old.logp[b];
    gain += adv[b] * std::expm1(log_ratio);
    kl += policy.Kl(old.dist.col(b).data(), old.log_std.data(), dp);
  }
  return {gain, kl};
}

template <typename T>
std::pair<double, double> SurrogateGainAndKl(const PolicyT<T>& policy, const Mat<T>& obs,
                                             const Mat<T>& actions, std::span<const T> adv,
                                             const OldPolicyBatch<T>& old, MlpWorkspace<T>& ws) {
  const int B = static_cast<int>(obs.cols());
  const auto [gain, kl] = SurrogateGainAndKlPart(policy, obs, actions, adv, old, 0, B, ws);
  return {gain / B, kl / B};
}

LineSearchResult BacktrackingLineSearch(const std::function<std::pair<double, double>(double)>& eval,
                                        const std::function<void()>& restore, double max_kl,
                                        int max_backtracks, double decay) {
  LineSearchResult res;
  double fraction = 1.0;
  for (int k = 0; k <= max_backtracks; ++k, fraction *= decay) {
    const auto [improvement, kl] = eval(fraction);
    if (std::isfinite(kl) && kl <= max_kl && improvement > 0) {
      res.accepted = true;
      res.backtracks = k;
      res.fraction = fraction;
      res.improvement = improvement;
      res.kl = kl;
      return res;
    }
  }
  restore();
  res.backtracks = max_backtracks + 1;
  return res;
}

template int ConjugateGradient<float>(const std::function<void(std::span<const float>, std::span<float>)>&,
                                      std::span<const float>, std::span<float>, int, double);
template int ConjugateGradient<double>(const std::function<void(std::span<const double>, std::span<double>)>&,
                                       std::span<const double>, std::span<double>, int, double);
template void RecordOldPolicy<float>(const PolicyT<float>&, const Mat<float>&, const Mat<float>&,
                                     MlpWorkspace<float>&, OldPolicyBatch<float>*);
template void RecordOldPolicy<double>(const PolicyT<double>&, const Mat<double>&, const Mat<double>&,
                                      MlpWorkspace<double>&, OldPolicyBatch<double>*);
template std::pair<double, double> SurrogateGainAndKl<float>(const PolicyT<float>&, const Mat<float>&,
                                                             const Mat<float>&, std::span<const float>,
                                                             const OldPolicyBatch<float>&, MlpWorkspace<float>&);
template std::pair<double, double> SurrogateGainAndKl<double>(const PolicyT<double>&, const Mat<double>&,
                                                              const Mat<double>&, std::span<const double>,
                                                              const OldPolicyBatch<double>&, MlpWorkspace<double>&);
template void SurrogateGradientPart<float>(PolicyT<float>&, const Mat<float>&, std::span<const float>, int, float,
                                           MlpWorkspace<float>&, Mat<float>&, std::span<float>);
template std::pair<double, double> SurrogateGainAndKlPart<float>(const PolicyT<float>&, const Mat<float>&,
                                                                 const Mat<float>&, std::span<const float>,
                                                                 const OldPolicyBatch<float>&, int, int,
                                                                 MlpWorkspace<float>&);
template void SurrogateGradientPart<double>(PolicyT<double>&, const Mat<double>&, std::span<const double>, int,
                                            double, MlpWorkspace<double>&, Mat<double>&, std::span<double>);
template std::pair<double, double> SurrogateGainAndKlPart<double>(const PolicyT<double>&, const Mat<double>&,
                                                                  const Mat<double>&, std::span<const double>,
                                                                  const OldPolicyBatch<double>&, int, int,
                                                                  MlpWorkspace<double>&);
template void SurrogateGradient<float>(PolicyT<float>&, const Mat<float>&, std::span<const float>,
                                       MlpWorkspace<float>&, std::span<float>);
template void SurrogateGradient<double>(PolicyT<double>&, const Mat<double>&, std::span<const double>,
                                        MlpWorkspace<double>&, std::span<double>);

}  // namespace ratchet
