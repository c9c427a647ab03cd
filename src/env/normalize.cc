// Observation normalisation and reward scaling.
#include <cmath>

#include "ratchet/bytes.h"
#include "ratchet/env.h"

namespace ratchet {

void RunningMeanStd::Update(std::span<const float> x, int n) {
  const int d = static_cast<int>(mean.size());
  RATCHET_CHECK(x.size() == static_cast<size_t>(n) * d, "RunningMeanStd::Update size");
  if (n == 0) return;
  for (int j = 0; j < d; ++j) {
    double m = 0;
    for (int i = 0; i < n; ++i) m += x[static_cast<size_t>(i) * d + j];
    m /= n;
    double v = 0;
    for (int i = 0; i < n; ++i) {
      const double e = x[static_cast<size_t>(i) * d + j] - m;
      v += e * e;
    }
    v /= n;  // population variance of the batch, as numpy's var
    const double delta = m - mean[j];
    const double total = count + n;
    mean[j] += delta * n / total;
    var[j] = (var[j] * count + v * n + delta * delta * count * n / total) / total;
  }
  count += n;
}

void ObsNormalizer::Normalize(std::span<const float> in, std::span<float> out) const {
  RATCHET_CHECK(in.size() == out.size(), "ObsNormalizer sizes");
  if (!enabled) {
    if (in.data() != out.data()) std::copy(in.begin(), in.end(), out.begin());
    return;
  }
  const int d = dim();
  for (size_t k = 0; k < in.size(); ++k) {
    const int j = static_cast<int>(k % d);
    const double z = (in[k] - rms.mean[j]) / std::sqrt(rms.var[j] + 1e-8);
    out[k] = static_cast<float>(std::clamp(z, -clip, clip));
  }
}

void ObsNormalizer::Serialize(Archive& ar) {
  ar.Checked<double>(rms.count, "normaliser count", 1e-300, 1e300);
  ar.Checked(std::span<double>(rms.mean), "normaliser mean");
  ar.Checked(std::span<double>(rms.var), "normaliser variance", 0.0);
}

void RewardScaler::Serialize(Archive& ar) {
  ar.Checked(std::span<double>(ret_), "discounted return");
  ar.Checked<double>(rms_.count, "return count", 1e-300, 1e300);
  ar.Checked(std::span<double>(rms_.mean), "return mean");
  ar.Checked(std::span<double>(rms_.var), "return variance", 0.0);
}

RewardScaler::RewardScaler(int num_envs, double gamma, double clip)
    : gamma_(gamma), clip_(clip), ret_(num_envs, 0.0), ret_f_(num_envs) {}

void RewardScaler::Scale(std::span<float> rewards, std::span<const uint8_t> terminated,
                         std::span<const uint8_t> truncated) {
  const int n = static_cast<int>(ret_.size());
  for (int i = 0; i < n; ++i) {
    ret_[i] = ret_[i] * gamma_ + rewards[i];
    ret_f_[i] = static_cast<float>(ret_[i]);
  }
  rms_.Update(ret_f_, n);
  const double scale = 1.0 / std::sqrt(rms_.var[0] + 1e-8);
  for (int i = 0; i < n; ++i) {
    rewards[i] = static_cast<float>(std::clamp(rewards[i] * scale, -clip_, clip_));
    if (terminated[i] || truncated[i]) ret_[i] = 0.0;
  }
}

}  // namespace ratchet
