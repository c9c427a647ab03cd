// Ratchet distributions: Categorical over logits and diagonal Gaussian with a state-independent
// log-std. Every function works on one sample's parameters (a column of the network output) and
// is a template so gradient checks can run it in double. Gradients are with respect to the
// distribution parameters (logits; mean and log-std) and are *accumulated*, scaled, into `out`.
#pragma once

#include <algorithm>
#include <cmath>
#include <numbers>

#include "ratchet/core.h"

namespace ratchet {

//---------------------------------- Categorical -----------------------------------------------

struct Categorical {
  // log p_i = z_i - logsumexp(z), written into logp (n)
  template <typename T>
  static void LogSoftmax(const T* z, int n, T* logp) {
    const T zmax = *std::max_element(z, z + n);
    T s = 0;
    for (int i = 0; i < n; ++i) s += std::exp(z[i] - zmax);
    const T lse = zmax + std::log(s);
    for (int i = 0; i < n; ++i) logp[i] = z[i] - lse;
  }

  // log p(a)
  template <typename T>
  static T LogProb(const T* z, int n, int a) {
    const T zmax = *std::max_element(z, z + n);
    T s = 0;
    for (int i = 0; i < n; ++i) s += std::exp(z[i] - zmax);
    return z[a] - zmax - std::log(s);
  }

  // d log p(a) / dz_i = [i == a] - p_i
  template <typename T>
  static void LogProbGrad(const T* z, int n, int a, T scale, T* out) {
    T lp[kMaxActions];
    LogSoftmax(z, n, lp);
    for (int i = 0; i < n; ++i) out[i] += scale * ((i == a ? T(1) : T(0)) - std::exp(lp[i]));
  }

  // H = -sum p_i log p_i
  template <typename T>
  static T Entropy(const T* z, int n) {
    T lp[kMaxActions];
    LogSoftmax(z, n, lp);
    T h = 0;
    for (int i = 0; i < n; ++i) h -= std::exp(lp[i]) * lp[i];
    return h;
  }

  // dH/dz_i = -p_i (log p_i + H)
  template <typename T>
  static void EntropyGrad(const T* z, int n, T scale, T* out) {
    T lp[kMaxActions];
    LogSoftmax(z, n, lp);
    T h = 0;
    for (int i = 0; i < n; ++i) h -= std::exp(lp[i]) * lp[i];
    for (int i = 0; i < n; ++i) out[i] += scale * (-std::exp(lp[i]) * (lp[i] + h));
  }

  // KL(old || new) = sum p_old_i (log p_old_i - log p_new_i)
  template <typename T>
  static T Kl(const T* z_old, const T* z_new, int n) {
    T lo[kMaxActions], ln[kMaxActions];
    LogSoftmax(z_old, n, lo);
    LogSoftmax(z_new, n, ln);
    T kl = 0;
    for (int i = 0; i < n; ++i) kl += std::exp(lo[i]) * (lo[i] - ln[i]);
    return kl;
  }

  // d KL(old || new) / dz_new_i = p_new_i - p_old_i
  template <typename T>
  static void KlGrad(const T* z_old, const T* z_new, int n, T scale, T* out) {
    T lo[kMaxActions], ln[kMaxActions];
    LogSoftmax(z_old, n, lo);
    LogSoftmax(z_new, n, ln);
    for (int i = 0; i < n; ++i) out[i] += scale * (std::exp(ln[i]) - std::exp(lo[i]));
  }

  // out += scale * M t with M = diag(p) - p p^T, the Fisher metric of the distribution in its
  // logits (E[grad log p grad log p^T]).
  template <typename T>
  static void FisherTimes(const T* z, int n, const T* t, T scale, T* out) {
    T lp[kMaxActions];
    LogSoftmax(z, n, lp);
    T pt = 0;
    for (int i = 0; i < n; ++i) pt += std::exp(lp[i]) * t[i];
    for (int i = 0; i < n; ++i) out[i] += scale * std::exp(lp[i]) * (t[i] - pt);
  }

  // out = column k of a square root L of that metric (M = L L^T, n columns):
  // sqrt(p_k) (e_k - p), since sum_k p_k (e_k - p)(e_k - p)^T = diag(p) - p p^T.
  template <typename T>
  static void FisherFactor(const T* z, int n, int k, T* out) {
    T lp[kMaxActions];
    LogSoftmax(z, n, lp);
    const T root = std::exp(lp[k] / 2);
    for (int i = 0; i < n; ++i) out[i] = -root * std::exp(lp[i]);
    out[k] += root;
  }

  // Inverse-CDF sample with one uniform draw.
  template <typename T>
  static int Sample(const T* z, int n, Rng& rng) {
    T lp[kMaxActions];
    LogSoftmax(z, n, lp);
    const double u = rng.Uniform();
    double c = 0.0;
    for (int i = 0; i < n - 1; ++i) {
      c += std::exp(static_cast<double>(lp[i]));
      if (u < c) return i;
    }
    return n - 1;
  }

  // argmax (the first maximum on ties)
  template <typename T>
  static int Mode(const T* z, int n) {
    return static_cast<int>(std::max_element(z, z + n) - z);
  }

  static constexpr int kMaxActions = 256;  // largest supported Discrete(n)
};

//---------------------------------- Diagonal Gaussian -----------------------------------------

struct DiagGaussian {
  static constexpr double kLogSqrt2Pi = 0.91893853320467274178;  // log sqrt(2 pi)

  // log p(a) = -sum_d [ (a_d - mu_d)^2 / (2 sigma_d^2) + log sigma_d + log sqrt(2 pi) ]
  template <typename T>
  static T LogProb(const T* mu, const T* log_std, int d, const T* a) {
    T lp = 0;
    for (int i = 0; i < d; ++i) {
      const T z = (a[i] - mu[i]) * std::exp(-log_std[i]);
      lp -= T(0.5) * z * z + log_std[i] + T(kLogSqrt2Pi);
    }
    return lp;
  }

  // d log p / d mu_d = (a_d - mu_d) / sigma_d^2;  d log p / d log sigma_d = z_d^2 - 1
  template <typename T>
  static void LogProbGrad(const T* mu, const T* log_std, int d, const T* a, T scale, T* d_mu,
                          T* d_log_std) {
    for (int i = 0; i < d; ++i) {
      const T inv_var = std::exp(-2 * log_std[i]);
      const T diff = a[i] - mu[i];
      d_mu[i] += scale * diff * inv_var;
      d_log_std[i] += scale * (diff * diff * inv_var - T(1));
    }
  }

  // H = sum_d [ log sigma_d + 1/2 + log sqrt(2 pi) ]; dH / d log sigma_d = 1
  template <typename T>
  static T Entropy(const T* log_std, int d) {
    T h = 0;
    for (int i = 0; i < d; ++i) h += log_std[i] + T(0.5 + kLogSqrt2Pi);
    return h;
  }
  template <typename T>
  static void EntropyGrad(int d, T scale, T* d_log_std) {
    for (int i = 0; i < d; ++i) d_log_std[i] += scale;
  }

  // KL(old || new) = sum_d [ log s_n - log s_o + (s_o^2 + (mu_o - mu_n)^2) / (2 s_n^2) - 1/2 ]
  template <typename T>
  static T Kl(const T* mu_old, const T* ls_old, const T* mu_new, const T* ls_new, int d) {
    T kl = 0;
    for (int i = 0; i < d; ++i) {
      const T dm = mu_old[i] - mu_new[i];
      kl += ls_new[i] - ls_old[i] +
            (std::exp(2 * ls_old[i]) + dm * dm) * T(0.5) * std::exp(-2 * ls_new[i]) - T(0.5);
    }
    return kl;
  }

  // d KL / d mu_new = (mu_n - mu_o) / s_n^2;  d KL / d log s_n = 1 - (s_o^2 + (mu_o - mu_n)^2) / s_n^2
  template <typename T>
  static void KlGrad(const T* mu_old, const T* ls_old, const T* mu_new, const T* ls_new, int d,
                     T scale, T* d_mu, T* d_log_std) {
    for (int i = 0; i < d; ++i) {
      const T inv_var = std::exp(-2 * ls_new[i]);
      const T dm = mu_old[i] - mu_new[i];
      d_mu[i] += scale * (-dm * inv_var);
      d_log_std[i] += scale * (T(1) - (std::exp(2 * ls_old[i]) + dm * dm) * inv_var);
    }
  }

  // out += scale * t / sigma^2: the Fisher metric in the mean. (In log sigma it is 2 per
  // dimension, and the cross terms are zero.)
  template <typename T>
  static void FisherMeanTimes(const T* log_std, int d, const T* t, T scale, T* out) {
    for (int i = 0; i < d; ++i) out[i] += scale * t[i] * std::exp(-2 * log_std[i]);
  }

  // out = column k of a square root of the metric in the mean (d columns): e_k / sigma_k.
  template <typename T>
  static void FisherFactor(const T* log_std, int d, int k, T* out) {
    std::fill(out, out + d, T(0));
    out[k] = std::exp(-log_std[k]);
  }

  // a_d = mu_d + sigma_d * N(0, 1)
  template <typename T>
  static void Sample(const T* mu, const T* log_std, int d, Rng& rng, T* a) {
    for (int i = 0; i < d; ++i) a[i] = mu[i] + std::exp(log_std[i]) * static_cast<T>(rng.Normal());
  }
};

}  // namespace ratchet
