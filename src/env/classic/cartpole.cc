#include "env/classic/cartpole.h"

#include <cmath>
#include <limits>
#include <utility>

#include "env/kwargs.h"

namespace ratchet {

EnvSpec CartPole::MakeSpec(const std::string& id, int max_episode_steps, double threshold) {
  const float inf = std::numeric_limits<float>::infinity();
  const float high[4] = {static_cast<float>(kXThreshold * 2), inf,
                         static_cast<float>(kThetaThreshold * 2), inf};
  EnvSpec spec;
  spec.id = id;
  spec.observation_space =
      Space::Box({-high[0], -high[1], -high[2], -high[3]}, {high[0], high[1], high[2], high[3]});
  spec.action_space = Space::Discrete(2);
  spec.max_episode_steps = max_episode_steps;
  spec.reward_threshold = threshold;
  spec.dt = kTau;
  return spec;
}

void CartPole::WriteObs(std::span<float> obs) const {
  for (int i = 0; i < 4; ++i) obs[i] = static_cast<float>(s_[i]);
}

void CartPole::SetResetOptions(const EnvKwargs& options) {
  next_bounds_ = ReadResetBounds(options, spec_.id, -0.05, 0.05);
}

void CartPole::OnReset(std::span<float> obs) {
  const auto [low, high] = std::exchange(next_bounds_, {-0.05, 0.05});
  for (double& v : s_) v = rng().Uniform(low, high);
  steps_beyond_terminated_ = -1;
  WriteObs(obs);
}

StepResult CartPole::OnStep(std::span<const float> action, std::span<float> obs) {
  const float a = action[0];  // 0 or 1: EnvBase checked it
  const double force = a == 1.0f ? kForceMag : -kForceMag;
  double& x = s_[0];
  double& x_dot = s_[1];
  double& theta = s_[2];
  double& theta_dot = s_[3];
  const double costheta = std::cos(theta);
  const double sintheta = std::sin(theta);
  // grouped as Gymnasium's cartpole.py (np.square), so that equal states give equal bits
  const double temp = (force + kPoleMassLength * (theta_dot * theta_dot) * sintheta) / kTotalMass;
  const double thetaacc = (kGravity * sintheta - costheta * temp) /
                          (kLength * (4.0 / 3.0 - kMassPole * (costheta * costheta) / kTotalMass));
  const double xacc = temp - kPoleMassLength * thetaacc * costheta / kTotalMass;
  // explicit Euler: every right-hand side uses the old values
  x = x + kTau * x_dot;
  x_dot = x_dot + kTau * xacc;
  theta = theta + kTau * theta_dot;
  theta_dot = theta_dot + kTau * thetaacc;

  StepResult r;
  r.terminated = x < -kXThreshold || x > kXThreshold || theta < -kThetaThreshold ||
                 theta > kThetaThreshold;
  if (!r.terminated) {
    r.reward = 1.0;
  } else if (steps_beyond_terminated_ < 0) {
    steps_beyond_terminated_ = 0;  // the terminating step itself still pays +1
    r.reward = 1.0;
  } else {
    ++steps_beyond_terminated_;  // stepping a finished episode: no reward
    r.reward = 0.0;
  }
  WriteObs(obs);
  return r;
}

void CartPole::Serialize(StateArchive& ar) {
  ar(std::span<double>(s_));
  ar(steps_beyond_terminated_);
}

}  // namespace ratchet
