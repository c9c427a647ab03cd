// CartPole-v0 / CartPole-v1 (Barto, Sutton & Anderson 1983), exactly as Gymnasium's
// classic_control/cartpole.py: explicit Euler, +1 reward on every step including the terminating
// one, reset uniform in +-0.05. See docs/ENVIRONMENTS.md, CartPole section. Deviation: the reset
// draws come from Ratchet's Rng, not NumPy's PCG64, so episodes match statistically, not
// sample for sample.
#pragma once

#include "ratchet/env.h"

namespace ratchet {

class CartPole final : public EnvBase {
 public:
  static constexpr double kGravity = 9.8;
  static constexpr double kMassCart = 1.0;
  static constexpr double kMassPole = 0.1;
  static constexpr double kTotalMass = kMassPole + kMassCart;
  static constexpr double kLength = 0.5;  // half the pole length
  static constexpr double kPoleMassLength = kMassPole * kLength;
  static constexpr double kForceMag = 10.0;
  static constexpr double kTau = 0.02;
  static constexpr double kThetaThreshold = 12 * 2 * 3.14159265358979323846 / 360;
  static constexpr double kXThreshold = 2.4;

  explicit CartPole(EnvSpec spec) : EnvBase(std::move(spec)) {}
  // Draws the reference renderer's geometry (render.cc).
  void Render(int width, int height, std::vector<uint8_t>* rgb) override;

  // (x, x_dot, theta, theta_dot) in double, as the reference keeps it
  const double* state() const { return s_; }
  void set_state(const double s[4]) { std::copy(s, s + 4, s_); }

  static EnvSpec MakeSpec(const std::string& id, int max_episode_steps, double threshold);
  // low/high of the next reset's uniform state (default -0.05, 0.05)
  void SetResetOptions(const EnvKwargs& options) override;

 protected:
  void OnReset(std::span<float> obs) override;
  StepResult OnStep(std::span<const float> action, std::span<float> obs) override;
  void Serialize(StateArchive& ar) override;

 private:
  void WriteObs(std::span<float> obs) const;

  double s_[4] = {0, 0, 0, 0};
  int steps_beyond_terminated_ = -1;  // -1: the episode has not terminated (Python's None)
  std::pair<double, double> next_bounds_{-0.05, 0.05};  // of the next reset only
};

}  // namespace ratchet
