#include "env/classic/cartpole_swingup.h"

#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <numbers>

namespace ratchet {
namespace {

constexpr double kGravity = 9.82, kForceMag = 10.0, kTimeStep = 0.01, kFriction = 0.1, kXThreshold = 2.4;
constexpr double kMassCart = 0.5, kMassPole = 0.5, kLength = 0.6;
constexpr double kTotalMass = kMassCart + kMassPole, kMpl = kMassPole * kLength;

}  // namespace

EnvSpec CartPoleSwingUp::MakeSpec(const std::string& id) {
  const float f = std::numeric_limits<float>::max();
  EnvSpec spec;
  spec.id = id;
  spec.observation_space = Space::Box({-f, -f, -f, -f, -f}, {f, f, f, f, f});
  spec.action_space = Space::Box({-1.0f}, {1.0f});
  spec.max_episode_steps = 500;
  spec.dt = kTimeStep;
  return spec;
}

void CartPoleSwingUp::WriteObs(std::span<float> obs) const {
  obs[0] = static_cast<float>(s_[0]);
  obs[1] = static_cast<float>(s_[1]);
  obs[2] = static_cast<float>(std::cos(s_[2]));
  obs[3] = static_cast<float>(std::sin(s_[2]));
  obs[4] = static_cast<float>(s_[3]);
}

void CartPoleSwingUp::OnReset(std::span<float> obs) {
  const double mean[4] = {0.0, 0.0, std::numbers::pi, 0.0};
  for (int i = 0; i < 4; ++i) s_[i] = static_cast<float>(mean[i] + 0.2 * rng().Normal());
  WriteObs(obs);
}

StepResult CartPoleSwingUp::OnStep(std::span<const float> action, std::span<float> obs) {
  const double F = std::clamp(static_cast<double>(action[0]), -1.0, 1.0) * kForceMag;
  const double x = s_[0], x_dot = s_[1], theta = s_[2], theta_dot = s_[3];
  const double s = std::sin(theta), c = std::cos(theta);
  const double x_acc = (-2 * kMpl * theta_dot * theta_dot * s + 3 * kMassPole * kGravity * s * c + 4 * F -
                        4 * kFriction * x_dot) /
                       (4 * kTotalMass - 3 * kMassPole * c * c);
  const double theta_acc = (-3 * kMpl * theta_dot * theta_dot * s * c + 6 * kTotalMass * kGravity * s +
                            6 * (F - kFriction * x_dot) * c) /
                           (4 * kLength * kTotalMass - 3 * kMpl * c * c);
  // explicit Euler: every right-hand side uses the old values
  s_[0] = x + x_dot * kTimeStep;
  s_[2] = theta + theta_dot * kTimeStep;
  s_[1] = x_dot + x_acc * kTimeStep;
  s_[3] = theta_dot + theta_acc * kTimeStep;
  const float cos_next = std::cos(static_cast<float>(s_[2]));  // float32, as the reference
  StepResult r;
  r.reward = version_ == 0 ? cos_next : (1.0f + cos_next) / 2.0f;
  r.terminated = std::fabs(s_[0]) > kXThreshold;
  WriteObs(obs);
  return r;
}

void CartPoleSwingUp::Serialize(StateArchive& ar) {
  ar(std::span<double>(s_));
}

}  // namespace ratchet
