#include "env/classic/mountain_car.h"

#include <cmath>
#include <utility>

#include "env/kwargs.h"
#include <fmt/format.h>

namespace ratchet {

EnvSpec MountainCarContinuous::MakeSpec() {
  EnvSpec spec;
  spec.id = "MountainCarContinuous-v0";
  spec.observation_space = Space::Box({static_cast<float>(kMinPosition), static_cast<float>(-kMaxSpeed)},
                                      {static_cast<float>(kMaxPosition), static_cast<float>(kMaxSpeed)});
  spec.action_space = Space::Box({-1.0f}, {1.0f});
  spec.max_episode_steps = 999;
  spec.reward_threshold = 90.0;
  spec.dt = 1.0 / 30;  // no physical time step: the reference renders at 30 fps
  return spec;
}

void MountainCarContinuous::SetResetOptions(const EnvKwargs& options) {
  next_bounds_ = ReadResetBounds(options, spec_.id, -0.6, -0.4);
}

void MountainCarContinuous::OnReset(std::span<float> obs) {
  const auto [low, high] = std::exchange(next_bounds_, {-0.6, -0.4});
  s_[0] = rng().Uniform(low, high);
  s_[1] = 0.0;
  obs[0] = static_cast<float>(s_[0]);
  obs[1] = static_cast<float>(s_[1]);
}

StepResult MountainCarContinuous::OnStep(std::span<const float> action, std::span<float> obs) {
  const double a = action[0];
  double position = s_[0], velocity = s_[1];
  const double force = std::min(std::max(a, -1.0), 1.0);
  velocity += force * kPower - 0.0025 * std::cos(3 * position);
  velocity = std::clamp(velocity, -kMaxSpeed, kMaxSpeed);
  position += velocity;
  position = std::clamp(position, kMinPosition, kMaxPosition);
  if (position == kMinPosition && velocity < 0) velocity = 0;
  StepResult r;
  r.terminated = position >= kGoalPosition && velocity >= kGoalVelocity;
  r.reward = (r.terminated ? 100.0 : 0.0) - 0.1 * std::pow(a, 2.0);
  // the reference stores its state as float32 after every step
  s_[0] = static_cast<float>(position);
  s_[1] = static_cast<float>(velocity);
  obs[0] = static_cast<float>(s_[0]);
  obs[1] = static_cast<float>(s_[1]);
  return r;
}

void MountainCarContinuous::Serialize(StateArchive& ar) {
  ar(std::span<double>(s_));
}

}  // namespace ratchet
