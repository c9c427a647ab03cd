// A user's environment: a point mass on a plane pushed toward a target that moves every episode.
// Everything an environment author writes: the spaces, the reset, the dynamics and reward, and
// the list of state fields for exact resume. Seeding, the generator's saved state, step counters
// and action checks come from ratchet::EnvBase.
#pragma once

#include <ratchet/env.h>

#include <algorithm>
#include <cmath>

class PointMass final : public ratchet::EnvBase {
 public:
  PointMass() : EnvBase(Spec()) {}

  static ratchet::EnvSpec Spec() {
    ratchet::EnvSpec s;
    s.id = "PointMass-v0";
    // observation: position (2), velocity (2), target minus position (2)
    s.observation_space = ratchet::Space::Box({-2, -2, -2, -2, -4, -4}, {2, 2, 2, 2, 4, 4});
    s.action_space = ratchet::Space::Box({-1, -1}, {1, 1});  // force
    s.max_episode_steps = 100;
    s.dt = 0.1;
    return s;
  }

 protected:
  void OnReset(std::span<float> obs) override {
    for (double& v : pos_) v = rng().Uniform(-1.0, 1.0);
    for (double& v : target_) v = rng().Uniform(-1.0, 1.0);
    vel_[0] = vel_[1] = 0.0;
    Observe(obs);
  }

  ratchet::StepResult OnStep(std::span<const float> action, std::span<float> obs) override {
    double effort = 0.0, dist2 = 0.0;
    for (int i = 0; i < 2; ++i) {
      const double f = std::clamp(static_cast<double>(action[i]), -1.0, 1.0);
      effort += f * f;
      vel_[i] = std::clamp(0.9 * vel_[i] + 0.2 * f, -2.0, 2.0);
      pos_[i] = std::clamp(pos_[i] + 0.1 * vel_[i], -2.0, 2.0);
      dist2 += (target_[i] - pos_[i]) * (target_[i] - pos_[i]);
    }
    Observe(obs);
    return {-std::sqrt(dist2) - 0.01 * effort, false, false};  // never terminates; 100-step limit
  }

  void Serialize(ratchet::StateArchive& ar) override {
    ar(pos_);
    ar(vel_);
    ar(target_);
  }

 private:
  void Observe(std::span<float> obs) const {
    for (int i = 0; i < 2; ++i) {
      obs[i] = static_cast<float>(pos_[i]);
      obs[2 + i] = static_cast<float>(vel_[i]);
      obs[4 + i] = static_cast<float>(target_[i] - pos_[i]);
    }
  }

  std::array<double, 2> pos_{}, vel_{}, target_{};
};
