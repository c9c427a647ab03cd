#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

#include "ratchet/bytes.h"
#include "ratchet/nn.h"

namespace ratchet {

Adam::Adam(int n, double beta1, double beta2, double eps)
    : beta1_(beta1), beta2_(beta2), eps_(eps), m_(n, 0.0f), v_(n, 0.0f) {}

void Adam::Step(std::span<float> params, std::span<const float> grads, double lr) {
  RATCHET_CHECK(params.size() == m_.size() && grads.size() == m_.size(), "Adam size mismatch");
  ++t_;
  const float b1 = static_cast<float>(beta1_), b2 = static_cast<float>(beta2_);
  const float step = static_cast<float>(lr / (1.0 - std::pow(beta1_, static_cast<double>(t_))));
  const float inv_sqrt_bc2 =
      static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(beta2_, static_cast<double>(t_))));
  const float eps = static_cast<float>(eps_);
  float* p = params.data();
  const float* g = grads.data();
  float* m = m_.data();
  float* v = v_.data();
  const size_t n = m_.size();
  for (size_t i = 0; i < n; ++i) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    p[i] -= step * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps);
  }
}

void Adam::Serialize(Archive& ar) {
  ar.Checked<int64_t>(t_, "Adam step count", 0, int64_t{1} << 50);
  ar.Checked(std::span<float>(m_), "Adam first moment");
  ar.Checked(std::span<float>(v_), "Adam second moment", 0.0);
}

void RmsProp::Serialize(Archive& ar) { ar.Checked(std::span<float>(v_), "RMSprop average", 0.0); }

RmsProp::RmsProp(int n, double alpha, double eps) : alpha_(alpha), eps_(eps), v_(n, 0.0f) {}

void RmsProp::Step(std::span<float> params, std::span<const float> grads, double lr) {
  RATCHET_CHECK(params.size() == v_.size() && grads.size() == v_.size(), "RmsProp size mismatch");
  const float a = static_cast<float>(alpha_), eps = static_cast<float>(eps_), step = static_cast<float>(lr);
  float* p = params.data();
  const float* g = grads.data();
  float* v = v_.data();
  for (size_t i = 0; i < v_.size(); ++i) {
    v[i] = a * v[i] + (1.0f - a) * g[i] * g[i];
    p[i] -= step * g[i] / (std::sqrt(v[i]) + eps);
  }
}

namespace {

double SumSquares(std::span<const float> g) {
  double sq = 0.0;
  for (float x : g) sq += static_cast<double>(x) * x;
  return sq;
}

}  // namespace

double GlobalNorm(std::initializer_list<std::span<const float>> grads) {
  double sq = 0.0;
  for (auto g : grads) sq += SumSquares(g);
  return std::sqrt(sq);
}

double ClipGlobalNorm(std::initializer_list<std::span<float>> grads, double max_norm) {
  double sq = 0.0;
  for (auto g : grads) sq += SumSquares(g);
  const double norm = std::sqrt(sq);
  if (norm > max_norm) {
    const float scale = static_cast<float>(max_norm / (norm + 1e-6));
    for (auto g : grads)
      Eigen::Map<Eigen::VectorXf>(g.data(), static_cast<Eigen::Index>(g.size())) *= scale;
  }
  return norm;
}

namespace {

bool ParseDouble(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(*out);
}

}  // namespace

Schedule Schedule::Parse(const std::string& text, const std::string& what) {
  double v;
  if (text.rfind("lin_", 0) == 0) {
    if (ParseDouble(text.substr(4), &v)) return Linear(v);
  } else if (ParseDouble(text, &v)) {
    return Constant(v);
  }
  throw Error(fmt::format("{}: expected a number or lin_<number>, got '{}'", what, text));
}

std::string Schedule::ToString() const {
  return linear ? fmt::format("lin_{}", start) : fmt::format("{}", start);
}

void ConfigValue<Schedule>::Parse(const std::string& key, const std::string& text, Schedule* out) {
  *out = Schedule::Parse(text, "config key '" + key + "'");
}
std::string ConfigValue<Schedule>::Format(const Schedule& v) { return v.ToString(); }

}  // namespace ratchet
