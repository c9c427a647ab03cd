#include "env/classic/pendulum.h"

#include <cmath>
#include <utility>

#include "env/kwargs.h"
#include <fmt/format.h>
#include <numbers>

namespace ratchet {

EnvSpec Pendulum::MakeSpec() {
  EnvSpec spec;
  spec.id = "Pendulum-v1";
  spec.observation_space = Space::Box({-1.0f, -1.0f, -8.0f}, {1.0f, 1.0f, 8.0f});
  spec.action_space = Space::Box({-2.0f}, {2.0f});
  spec.max_episode_steps = 200;
  spec.dt = kDt;
  return spec;
}

double Pendulum::AngleNormalize(double x) {
  const double two_pi = 2 * std::numbers::pi;
  double m = std::fmod(x + std::numbers::pi, two_pi);
  if (m < 0) m += two_pi;  // Python's modulo takes the sign of the divisor
  return m - std::numbers::pi;
}

void Pendulum::WriteObs(std::span<float> obs) const {
  obs[0] = static_cast<float>(std::cos(s_[0]));
  obs[1] = static_cast<float>(std::sin(s_[0]));
  obs[2] = static_cast<float>(s_[1]);
}

void Pendulum::SetResetOptions(const EnvKwargs& options) {
  KwargsReader r(options, spec_.id + " reset options");
  next_high_ = {r.Number("x_init", std::numbers::pi), r.Number("y_init", 1.0)};
  r.Finish();
}

void Pendulum::OnReset(std::span<float> obs) {
  const auto [x, y] = std::exchange(next_high_, {std::numbers::pi, 1.0});
  s_[0] = rng().Uniform(-x, x);
  s_[1] = rng().Uniform(-y, y);
  WriteObs(obs);
}

StepResult Pendulum::OnStep(std::span<const float> action, std::span<float> obs) {
  const double th = s_[0], thdot = s_[1];
  const double u = std::clamp(static_cast<double>(action[0]), -kMaxTorque, kMaxTorque);
  const double a = AngleNormalize(th);
  const double cost = a * a + 0.1 * (thdot * thdot) + 0.001 * (u * u);  // grouped as Gymnasium's pendulum.py
  double newthdot = thdot + (3 * kG / (2 * kL) * std::sin(th) + 3.0 / (kM * kL * kL) * u) * kDt;
  newthdot = std::clamp(newthdot, -kMaxSpeed, kMaxSpeed);
  s_[0] = th + newthdot * kDt;
  s_[1] = newthdot;
  WriteObs(obs);
  return {-cost, false, false};
}

void Pendulum::Serialize(StateArchive& ar) {
  ar(std::span<double>(s_));
}

}  // namespace ratchet
