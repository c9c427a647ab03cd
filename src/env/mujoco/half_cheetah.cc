// HalfCheetah-v4 and -v5 (docs/ENVIRONMENTS.md#halfcheetah-v4): reward = forward velocity of rootx
// (times forward_reward_weight) - ctrl_cost_weight sum(a^2); never terminates; reset
// qpos + U(-s, s), qvel + s N(0, 1) with s = reset_noise_scale. v5 differs only in its info key
// (reward_forward for v4's reward_run), its reset info and its keyword arguments.
#include "env/mujoco/tasks.h"

namespace ratchet {
namespace {

class HalfCheetah final : public MujocoEnv {
 public:
  HalfCheetah(const char* id, const MujocoModelChoice& model, KwargsReader& kw, bool v5)
      : MujocoEnv(id, model, 1000, 4800.0), v5_(v5) {
    forward_weight_ = kw.Number("forward_reward_weight", 1.0);
    ctrl_weight_ = kw.Number("ctrl_cost_weight", 0.1);
    noise_ = kw.Number("reset_noise_scale", 0.1);
    skip_ = kw.Bool("exclude_current_positions_from_observation", true) ? 1 : 0;
    kw.Finish();
    SetObservationDim(sim_.nq() + sim_.nv() - skip_);
    camera_ = {1, 4.0, -20.0, 90.0, 0.0};  // follow the torso
  }

 protected:
  void ResetModel() override {
    const auto qpos = UniformAround(sim_.init_qpos(), noise_);
    const auto qvel = NormalAround(Zeros(sim_.nv()), noise_);
    sim_.ResetTo(qpos, qvel);
  }
  void ResetInfo() override {
    if (v5_) info_.Set("x_position", sim_.qpos()[0]);
  }
  StepResult StepModel(std::span<const float> action) override {
    const double x_before = sim_.qpos()[0];
    sim_.DoSimulation(action, spec_.id);
    const double x_after = sim_.qpos()[0];
    const double x_velocity = (x_after - x_before) / sim_.dt();
    const double forward_reward = forward_weight_ * x_velocity;
    const double ctrl_cost = ControlCost(action, ctrl_weight_);
    info_.Set("x_position", x_after);
    info_.Set("x_velocity", x_velocity);
    info_.Set(v5_ ? "reward_forward" : "reward_run", forward_reward);
    info_.Set("reward_ctrl", -ctrl_cost);
    return {forward_reward - ctrl_cost, false, false};
  }
  void WriteObs(std::span<float> obs) const override { WritePositionsVelocities(obs, skip_, 0.0); }

 private:
  bool v5_;
  double forward_weight_, ctrl_weight_, noise_;
  int skip_;
};

}  // namespace

std::unique_ptr<Env> MakeHalfCheetah(const EnvKwargs& kwargs) {
  KwargsReader kw(kwargs, "HalfCheetah-v4");
  return std::make_unique<HalfCheetah>("HalfCheetah-v4", MujocoModelChoice{"half_cheetah", "", 5}, kw, false);
}

std::unique_ptr<Env> MakeHalfCheetahV5(const EnvKwargs& kwargs) {
  KwargsReader kw(kwargs, "HalfCheetah-v5");
  const MujocoModelChoice model = ReadModelChoice(kw, "half_cheetah.xml", 5);
  return std::make_unique<HalfCheetah>("HalfCheetah-v5", model, kw, true);
}

}  // namespace ratchet
