// Swimmer-v4 (docs/ENVIRONMENTS.md#swimmer-v4): reward = forward velocity of slider1 -
// 1e-4 sum(a^2); never terminates; reset qpos, qvel + U(-0.1, 0.1); observation qpos[2:], qvel.
#include <cmath>

#include "env/mujoco/tasks.h"

namespace ratchet {
namespace {

class Swimmer final : public MujocoEnv {
 public:
  Swimmer() : MujocoEnv("Swimmer-v4", "swimmer", 4, 8, 1000, 360.0) {
    camera_ = {1, 5.0, -60.0, 90.0, 0.0};
  }

 protected:
  void ResetModel() override {
    const auto qpos = UniformAround(sim_.init_qpos(), 0.1);
    const auto qvel = UniformAround(Zeros(sim_.nv()), 0.1);
    sim_.ResetTo(qpos, qvel);
  }
  StepResult StepModel(std::span<const float> action) override {
    const double x_before = sim_.qpos()[0], y_before = sim_.qpos()[1];
    sim_.DoSimulation(action, spec_.id);
    const double x_after = sim_.qpos()[0], y_after = sim_.qpos()[1];
    const double x_velocity = (x_after - x_before) / sim_.dt();
    const double y_velocity = (y_after - y_before) / sim_.dt();
    const double forward_reward = 1.0 * x_velocity;
    const double ctrl_cost = ControlCost(action, 1e-4);
    info_.Set("reward_fwd", forward_reward);
    info_.Set("reward_ctrl", -ctrl_cost);
    info_.Set("x_position", x_after);
    info_.Set("y_position", y_after);
    info_.Set("distance_from_origin", std::hypot(x_after, y_after));
    info_.Set("x_velocity", x_velocity);
    info_.Set("y_velocity", y_velocity);
    info_.Set("forward_reward", forward_reward);
    return {forward_reward - ctrl_cost, false, false};
  }
  void WriteObs(std::span<float> obs) const override { WritePositionsVelocities(obs, 2, 0.0); }
};

}  // namespace

std::unique_ptr<Env> MakeSwimmer() { return std::make_unique<Swimmer>(); }

}  // namespace ratchet
