// Acrobot-v1, as Gymnasium's classic_control/acrobot.py (docs/ENVIRONMENTS.md#acrobot-v1):
// the "book" dynamics, one classical RK4 step of dt = 0.2 with the torque held constant, angles
// wrapped to [-pi, pi], velocities clipped, reward -1 per step and 0 on the terminating step.
// Reset draws U(-0.1, 0.1)^4 rounded to float32, from Ratchet's Rng (not NumPy's PCG64).
#pragma once

#include <array>

#include "ratchet/env.h"

namespace ratchet {

class Acrobot final : public EnvBase {
 public:
  using State = std::array<double, 4>;  // theta1, theta2, dtheta1, dtheta2

  explicit Acrobot(EnvSpec spec) : EnvBase(std::move(spec)) {}
  // Draws the reference renderer's geometry (render.cc).
  void Render(int width, int height, std::vector<uint8_t>* rgb) override;

  const State& state() const { return s_; }
  void set_state(const State& s) { s_ = s; }
  static EnvSpec MakeSpec();
  // d/dt of (theta1, theta2, dtheta1, dtheta2, torque)
  static std::array<double, 5> Derivatives(const std::array<double, 5>& s);

  // low/high of the next reset's uniform state (default -0.1, 0.1)
  void SetResetOptions(const EnvKwargs& options) override;

 protected:
  void OnReset(std::span<float> obs) override;
  StepResult OnStep(std::span<const float> action, std::span<float> obs) override;
  void Serialize(StateArchive& ar) override;

 private:
  std::pair<double, double> next_bounds_{-0.1, 0.1};  // of the next reset only
  void WriteObs(std::span<float> obs) const;

  State s_{};
};

}  // namespace ratchet
