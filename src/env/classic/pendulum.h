// Pendulum-v1, exactly as Gymnasium's classic_control/pendulum.py (docs/ENVIRONMENTS.md#pendulum-v1):
// semi-implicit Euler, dt 0.05, torque clipped to [-2, 2] by the environment,
// speed clipped to [-8, 8], reward -(angle_normalize(th)^2 + 0.1 thdot^2 + 0.001 u^2) on the
// state before the step, never terminates (truncated at 200 by the registry). Deviation: reset
// draws come from Ratchet's Rng, not NumPy's PCG64.
#pragma once

#include <numbers>
#include <utility>

#include "ratchet/env.h"

namespace ratchet {

class Pendulum final : public EnvBase {
 public:
  static constexpr double kMaxSpeed = 8.0;
  static constexpr double kMaxTorque = 2.0;
  static constexpr double kDt = 0.05;
  static constexpr double kG = 10.0;
  static constexpr double kM = 1.0;
  static constexpr double kL = 1.0;

  explicit Pendulum(EnvSpec spec) : EnvBase(std::move(spec)) {}
  // Draws the reference renderer's geometry (render.cc).
  void Render(int width, int height, std::vector<uint8_t>* rgb) override;

  const double* state() const { return s_; }  // (theta, theta_dot)
  void set_state(double theta, double theta_dot) {
    s_[0] = theta;
    s_[1] = theta_dot;
  }
  // ((x + pi) mod 2 pi) - pi with a floored modulo, in [-pi, pi)
  static double AngleNormalize(double x);
  static EnvSpec MakeSpec();

  // x_init/y_init: the next reset draws theta in [-x_init, x_init] and its rate in
  // [-y_init, y_init] (default pi, 1)
  void SetResetOptions(const EnvKwargs& options) override;

 protected:
  void OnReset(std::span<float> obs) override;
  StepResult OnStep(std::span<const float> action, std::span<float> obs) override;
  void Serialize(StateArchive& ar) override;

 private:
  std::pair<double, double> next_high_{std::numbers::pi, 1.0};  // of the next reset only
  void WriteObs(std::span<float> obs) const;

  double s_[2] = {0, 0};
};

}  // namespace ratchet
