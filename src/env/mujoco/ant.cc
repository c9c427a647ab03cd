// Ant-v4 (docs/ENVIRONMENTS.md#ant-v4), default options: 27 observations (qpos[2:], qvel;
// no contact forces), reward = torso x velocity (from data.xpos) + 1 (paid every step) -
// 0.5 sum(a^2); terminated unless qpos and qvel are finite and 0.2 <= z <= 1.0 (inclusive);
// reset qpos + U(-0.1, 0.1) (quaternion not renormalised), qvel + 0.1 N(0, 1).
#include <cmath>

#include "env/mujoco/tasks.h"

namespace ratchet {

bool AntHealthy(std::span<const double> q, std::span<const double> v) {
  for (double x : q)
    if (!std::isfinite(x)) return false;
  for (double x : v)
    if (!std::isfinite(x)) return false;
  return 0.2 <= q[2] && q[2] <= 1.0;
}

namespace {

class Ant final : public MujocoEnv {
 public:
  Ant() : MujocoEnv("Ant-v4", "ant", 5, 27, 1000, 6000.0), torso_(sim_.BodyId("torso")) {
    camera_ = {1, 4.0, -30.0, 90.0, 0.0};
  }

 protected:
  void ResetModel() override {
    const auto qpos = UniformAround(sim_.init_qpos(), 0.1);
    const auto qvel = NormalAround(Zeros(sim_.nv()), 0.1);
    sim_.ResetTo(qpos, qvel);
  }
  StepResult StepModel(std::span<const float> action) override {
    const double x_before = sim_.xpos(torso_)[0], y_before = sim_.xpos(torso_)[1];
    sim_.DoSimulation(action, spec_.id);
    const double x_after = sim_.xpos(torso_)[0], y_after = sim_.xpos(torso_)[1];
    const double x_velocity = (x_after - x_before) / sim_.dt();
    const double y_velocity = (y_after - y_before) / sim_.dt();
    const double ctrl_cost = ControlCost(action, 0.5);
    const double healthy_reward = 1.0;
    info_.Set("reward_forward", x_velocity);
    info_.Set("reward_ctrl", -ctrl_cost);
    info_.Set("reward_survive", healthy_reward);
    info_.Set("x_position", x_after);
    info_.Set("y_position", y_after);
    info_.Set("distance_from_origin", std::hypot(x_after, y_after));
    info_.Set("x_velocity", x_velocity);
    info_.Set("y_velocity", y_velocity);
    info_.Set("forward_reward", x_velocity);
    return {x_velocity + healthy_reward - ctrl_cost, !AntHealthy(sim_.qpos(), sim_.qvel()), false};
  }
  void WriteObs(std::span<float> obs) const override { WritePositionsVelocities(obs, 2, 0.0); }

 private:
  int torso_;
};

}  // namespace

std::unique_ptr<Env> MakeAnt() { return std::make_unique<Ant>(); }

}  // namespace ratchet
