#include "env/classic/acrobot.h"

#include <cmath>
#include <utility>

#include "env/kwargs.h"
#include <fmt/format.h>
#include <numbers>

namespace ratchet {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kDt = 0.2;
constexpr double kL1 = 1.0, kM1 = 1.0, kM2 = 1.0, kLc1 = 0.5, kLc2 = 0.5, kI1 = 1.0, kI2 = 1.0;
constexpr double kG = 9.8;
constexpr double kMaxVel1 = 4 * kPi, kMaxVel2 = 9 * kPi;
constexpr double kTorque[3] = {-1.0, 0.0, 1.0};

double Wrap(double x, double lo, double hi) {
  const double diff = hi - lo;
  while (x > hi) x -= diff;
  while (x < lo) x += diff;
  return x;
}

}  // namespace

EnvSpec Acrobot::MakeSpec() {
  EnvSpec spec;
  spec.id = "Acrobot-v1";
  const float v1 = static_cast<float>(kMaxVel1), v2 = static_cast<float>(kMaxVel2);
  spec.observation_space = Space::Box({-1, -1, -1, -1, -v1, -v2}, {1, 1, 1, 1, v1, v2});
  spec.action_space = Space::Discrete(3);
  spec.max_episode_steps = 500;
  spec.reward_threshold = -100.0;
  spec.dt = kDt;
  return spec;
}

std::array<double, 5> Acrobot::Derivatives(const std::array<double, 5>& s) {
  const double a = s[4];
  const double theta1 = s[0], theta2 = s[1], dtheta1 = s[2], dtheta2 = s[3];
  const double d1 = kM1 * kLc1 * kLc1 + kM2 * (kL1 * kL1 + kLc2 * kLc2 + 2 * kL1 * kLc2 * std::cos(theta2)) + kI1 + kI2;
  const double d2 = kM2 * (kLc2 * kLc2 + kL1 * kLc2 * std::cos(theta2)) + kI2;
  const double phi2 = kM2 * kLc2 * kG * std::cos(theta1 + theta2 - kPi / 2.0);
  const double phi1 = -kM2 * kL1 * kLc2 * dtheta2 * dtheta2 * std::sin(theta2) -
                      2 * kM2 * kL1 * kLc2 * dtheta2 * dtheta1 * std::sin(theta2) +
                      (kM1 * kLc1 + kM2 * kL1) * kG * std::cos(theta1 - kPi / 2) + phi2;
  const double ddtheta2 = (a + d2 / d1 * phi1 - kM2 * kL1 * kLc2 * dtheta1 * dtheta1 * std::sin(theta2) - phi2) /
                          (kM2 * kLc2 * kLc2 + kI2 - d2 * d2 / d1);
  const double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  return {dtheta1, dtheta2, ddtheta1, ddtheta2, 0.0};
}

void Acrobot::WriteObs(std::span<float> obs) const {
  obs[0] = static_cast<float>(std::cos(s_[0]));
  obs[1] = static_cast<float>(std::sin(s_[0]));
  obs[2] = static_cast<float>(std::cos(s_[1]));
  obs[3] = static_cast<float>(std::sin(s_[1]));
  obs[4] = static_cast<float>(s_[2]);
  obs[5] = static_cast<float>(s_[3]);
}

void Acrobot::SetResetOptions(const EnvKwargs& options) {
  next_bounds_ = ReadResetBounds(options, spec_.id, -0.1, 0.1);
}

void Acrobot::OnReset(std::span<float> obs) {
  const auto [low, high] = std::exchange(next_bounds_, {-0.1, 0.1});
  for (double& v : s_) v = static_cast<float>(rng().Uniform(low, high));  // float32, as the reference
  WriteObs(obs);
}

StepResult Acrobot::OnStep(std::span<const float> action, std::span<float> obs) {
  const float af = action[0];
  using V5 = std::array<double, 5>;
  const V5 y0 = {s_[0], s_[1], s_[2], s_[3], kTorque[static_cast<int>(af)]};
  auto axpy = [](const V5& y, double h, const V5& k) {
    V5 r;
    for (int i = 0; i < 5; ++i) r[i] = y[i] + h * k[i];
    return r;
  };
  // one classical RK4 step over [0, dt]
  const double dt2 = kDt / 2.0;
  const V5 k1 = Derivatives(y0);
  const V5 k2 = Derivatives(axpy(y0, dt2, k1));
  const V5 k3 = Derivatives(axpy(y0, dt2, k2));
  const V5 k4 = Derivatives(axpy(y0, kDt, k3));
  V5 y1;
  for (int i = 0; i < 5; ++i) y1[i] = y0[i] + kDt / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  s_[0] = Wrap(y1[0], -kPi, kPi);
  s_[1] = Wrap(y1[1], -kPi, kPi);
  s_[2] = std::clamp(y1[2], -kMaxVel1, kMaxVel1);
  s_[3] = std::clamp(y1[3], -kMaxVel2, kMaxVel2);
  StepResult r;
  r.terminated = -std::cos(s_[0]) - std::cos(s_[1] + s_[0]) > 1.0;
  r.reward = r.terminated ? 0.0 : -1.0;
  WriteObs(obs);
  return r;
}

void Acrobot::Serialize(StateArchive& ar) {
  ar(std::span<double>(s_));
}

}  // namespace ratchet
