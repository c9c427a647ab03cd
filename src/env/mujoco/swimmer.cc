// Swimmer-v4 and -v5 (docs/ENVIRONMENTS.md#swimmer-v4): reward = forward velocity of slider1 -
// 1e-4 sum(a^2); never terminates; reset qpos, qvel + U(-0.1, 0.1); observation qpos[2:], qvel.
// v5 differs in its info keys (reward_forward; no forward_reward), its reset info and its
// keyword arguments.
#include <cmath>

#include "env/mujoco/tasks.h"

namespace ratchet {
namespace {

class Swimmer final : public MujocoEnv {
 public:
  Swimmer(const char* id, const MujocoModelChoice& model, KwargsReader& kw, bool v5)
      : MujocoEnv(id, model, 1000, 360.0), v5_(v5) {
    forward_weight_ = kw.Number("forward_reward_weight", 1.0);
    ctrl_weight_ = kw.Number("ctrl_cost_weight", 1e-4);
    noise_ = kw.Number("reset_noise_scale", 0.1);
    skip_ = kw.Bool("exclude_current_positions_from_observation", true) ? 2 : 0;
    kw.Finish();
    SetObservationDim(sim_.nq() + sim_.nv() - skip_);
    camera_ = {1, 5.0, -60.0, 90.0, 0.0};
  }

 protected:
  void ResetModel() override {
    const auto qpos = UniformAround(sim_.init_qpos(), noise_);
    const auto qvel = UniformAround(Zeros(sim_.nv()), noise_);
    sim_.ResetTo(qpos, qvel);
  }
  void ResetInfo() override {
    if (!v5_) return;
    const double x = sim_.qpos()[0], y = sim_.qpos()[1];
    info_.Set("x_position", x);
    info_.Set("y_position", y);
    info_.Set("distance_from_origin", std::hypot(x, y));
  }
  StepResult StepModel(std::span<const float> action) override {
    const double x_before = sim_.qpos()[0], y_before = sim_.qpos()[1];
    sim_.DoSimulation(action, spec_.id);
    const double x_after = sim_.qpos()[0], y_after = sim_.qpos()[1];
    const double x_velocity = (x_after - x_before) / sim_.dt();
    const double y_velocity = (y_after - y_before) / sim_.dt();
    const double forward_reward = forward_weight_ * x_velocity;
    const double ctrl_cost = ControlCost(action, ctrl_weight_);
    if (!v5_) {
      info_.Set("reward_fwd", forward_reward);
      info_.Set("reward_ctrl", -ctrl_cost);
    }
    info_.Set("x_position", x_after);
    info_.Set("y_position", y_after);
    info_.Set("distance_from_origin", std::hypot(x_after, y_after));
    info_.Set("x_velocity", x_velocity);
    info_.Set("y_velocity", y_velocity);
    info_.Set(v5_ ? "reward_forward" : "forward_reward", forward_reward);
    if (v5_) info_.Set("reward_ctrl", -ctrl_cost);
    return {forward_reward - ctrl_cost, false, false};
  }
  void WriteObs(std::span<float> obs) const override { WritePositionsVelocities(obs, skip_, 0.0); }

 private:
  bool v5_;
  double forward_weight_, ctrl_weight_, noise_;
  int skip_;
};

}  // namespace

std::unique_ptr<Env> MakeSwimmer(const EnvKwargs& kwargs) {
  KwargsReader kw(kwargs, "Swimmer-v4");
  return std::make_unique<Swimmer>("Swimmer-v4", MujocoModelChoice{"swimmer", "", 4}, kw, false);
}

std::unique_ptr<Env> MakeSwimmerV5(const EnvKwargs& kwargs) {
  KwargsReader kw(kwargs, "Swimmer-v5");
  const MujocoModelChoice model = ReadModelChoice(kw, "swimmer.xml", 4);
  return std::make_unique<Swimmer>("Swimmer-v5", model, kw, true);
}

}  // namespace ratchet
