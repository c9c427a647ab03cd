// MountainCarContinuous-v0, as Gymnasium's classic_control/continuous_mountain_car.py
// (docs/ENVIRONMENTS.md#mountaincarcontinuous-v0): force = clip(a, -1, 1), velocity and position updates
// with clipping and the inelastic left wall, +100 on reaching the goal, -0.1 a^2 on the
// *unclipped* action, state stored in float32 after every step. Reset position ~ U(-0.6, -0.4)
// from Ratchet's Rng.
#pragma once

#include "ratchet/env.h"

namespace ratchet {

class MountainCarContinuous final : public EnvBase {
 public:
  static constexpr double kMinPosition = -1.2, kMaxPosition = 0.6, kMaxSpeed = 0.07;
  static constexpr double kGoalPosition = 0.45, kGoalVelocity = 0.0, kPower = 0.0015;

  explicit MountainCarContinuous(EnvSpec spec) : EnvBase(std::move(spec)) {}
  // Draws the reference renderer's geometry (render.cc).
  void Render(int width, int height, std::vector<uint8_t>* rgb) override;

  const double* state() const { return s_; }  // position, velocity
  void set_state(double position, double velocity) {
    s_[0] = position;
    s_[1] = velocity;
  }
  static EnvSpec MakeSpec();

  // low/high of the next reset's uniform position (default -0.6, -0.4)
  void SetResetOptions(const EnvKwargs& options) override;

 protected:
  void OnReset(std::span<float> obs) override;
  StepResult OnStep(std::span<const float> action, std::span<float> obs) override;
  void Serialize(StateArchive& ar) override;

 private:
  double s_[2] = {0, 0};
  std::pair<double, double> next_bounds_{-0.6, -0.4};  // of the next reset only
};

}  // namespace ratchet
