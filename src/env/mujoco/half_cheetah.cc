// HalfCheetah-v4 (docs/ENVIRONMENTS.md#halfcheetah-v4): reward = forward velocity of rootx -
// 0.1 sum(a^2); never terminates; reset qpos + U(-0.1, 0.1), qvel + 0.1 N(0, 1).
#include "env/mujoco/tasks.h"

namespace ratchet {
namespace {

class HalfCheetah final : public MujocoEnv {
 public:
  HalfCheetah() : MujocoEnv("HalfCheetah-v4", "half_cheetah", 5, 17, 1000, 4800.0) {
    camera_ = {1, 4.0, -20.0, 90.0, 0.0};  // follow the torso
  }

 protected:
  void ResetModel() override {
    const auto qpos = UniformAround(sim_.init_qpos(), 0.1);
    const auto qvel = NormalAround(Zeros(sim_.nv()), 0.1);
    sim_.ResetTo(qpos, qvel);
  }
  StepResult StepModel(std::span<const float> action) override {
    const double x_before = sim_.qpos()[0];
    sim_.DoSimulation(action, spec_.id);
    const double x_after = sim_.qpos()[0];
    const double x_velocity = (x_after - x_before) / sim_.dt();
    const double forward_reward = 1.0 * x_velocity;
    const double ctrl_cost = ControlCost(action, 0.1);
    info_.Set("x_position", x_after);
    info_.Set("x_velocity", x_velocity);
    info_.Set("reward_run", forward_reward);
    info_.Set("reward_ctrl", -ctrl_cost);
    return {forward_reward - ctrl_cost, false, false};
  }
  void WriteObs(std::span<float> obs) const override { WritePositionsVelocities(obs, 1, 0.0); }
};

}  // namespace

std::unique_ptr<Env> MakeHalfCheetah() { return std::make_unique<HalfCheetah>(); }

}  // namespace ratchet
