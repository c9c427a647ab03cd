// CartPoleSwingUp-v0 / -v1 from gym-cartpole-swingup 0.1.4 (docs/ENVIRONMENTS.md, CartPoleSwingUp
// section): a cart with friction and a pole starting down (theta = pi; theta = 0 is upright and
// positive theta leans toward -x), force 10 a with a clipped to [-1, 1], explicit Euler with
// dt 0.01, reward cos(theta') (v0) or (1 + cos(theta')) / 2 (v1) in float32 on the next state,
// terminated when |x'| > 2.4, truncated at 500. Reset ~ N([0, 0, pi, 0], 0.2) rounded to float32,
// from Ratchet's Rng.
#pragma once

#include <array>

#include "ratchet/env.h"

namespace ratchet {

class CartPoleSwingUp final : public EnvBase {
 public:
  using State = std::array<double, 4>;  // x, x_dot, theta, theta_dot

  CartPoleSwingUp(EnvSpec spec, int version) : EnvBase(std::move(spec)), version_(version) {}
  // Draws the reference renderer's geometry (render.cc).
  void Render(int width, int height, std::vector<uint8_t>* rgb) override;

  const State& state() const { return s_; }
  void set_state(const State& s) { s_ = s; }
  static EnvSpec MakeSpec(const std::string& id);

 protected:
  void OnReset(std::span<float> obs) override;
  StepResult OnStep(std::span<const float> action, std::span<float> obs) override;
  void Serialize(StateArchive& ar) override;

 private:
  void WriteObs(std::span<float> obs) const;

  int version_;
  State s_{};
};

}  // namespace ratchet
