// Reacher-v4 and -v5 (docs/ENVIRONMENTS.md#reacher-v4): reward = -|fingertip - target| -
// sum(a^2); never terminates; truncated at 50. Reset: joint noise U(-0.1, 0.1), a goal drawn
// uniformly in the disc of radius 0.2 by rejection, arm velocities U(-0.005, 0.005), target
// velocities 0. v4 computes the reward *before* stepping and observes 11 values (with the
// always-zero z of fingertip - target); v5 computes it after stepping, observes 10, and weighs
// the two terms by reward_dist_weight and reward_control_weight.
#include <cmath>

#include "env/mujoco/tasks.h"

namespace ratchet {
namespace {

class Reacher final : public MujocoEnv {
 public:
  Reacher(const char* id, const MujocoModelChoice& model, KwargsReader& kw, bool v5)
      : MujocoEnv(id, model, 50, -3.75), v5_(v5) {
    dist_weight_ = kw.Number("reward_dist_weight", 1.0);
    control_weight_ = kw.Number("reward_control_weight", 1.0);
    kw.Finish();
    if (sim_.nq() != 4 || sim_.nv() != 4)
      throw Error(fmt::format("{}: the model needs four joints (two arm hinges, target x and y)", id));
    SetObservationDim(v5 ? 10 : 11);
    camera_ = {0, 0.9, -80.0, 90.0, 0.0};
    fingertip_ = sim_.BodyId("fingertip");
    target_ = sim_.BodyId("target");
  }

 protected:
  void ResetModel() override {
    auto qpos = UniformAround(sim_.init_qpos(), 0.1);
    double gx, gy;
    do {
      gx = rng().Uniform(-0.2, 0.2);
      gy = rng().Uniform(-0.2, 0.2);
    } while (std::hypot(gx, gy) >= 0.2);
    qpos[2] = gx;
    qpos[3] = gy;
    auto qvel = UniformAround(Zeros(sim_.nv()), 0.005);
    qvel[2] = qvel[3] = 0.0;
    sim_.ResetTo(qpos, qvel);
  }
  double Distance() const {
    const auto f = sim_.xpos(fingertip_), t = sim_.xpos(target_);
    return std::sqrt((f[0] - t[0]) * (f[0] - t[0]) + (f[1] - t[1]) * (f[1] - t[1]) + (f[2] - t[2]) * (f[2] - t[2]));
  }
  StepResult StepModel(std::span<const float> action) override {
    if (!v5_) {
      const double reward_dist = -Distance();
      const double reward_ctrl = -ControlCost(action, 1.0);
      sim_.DoSimulation(action, spec_.id);
      info_.Set("reward_dist", reward_dist);
      info_.Set("reward_ctrl", reward_ctrl);
      return {reward_dist + reward_ctrl, false, false};
    }
    sim_.DoSimulation(action, spec_.id);
    const double reward_dist = -Distance() * dist_weight_;
    const double reward_ctrl = -ControlCost(action, 1.0) * control_weight_;
    info_.Set("reward_dist", reward_dist);
    info_.Set("reward_ctrl", reward_ctrl);
    return {reward_dist + reward_ctrl, false, false};
  }
  void WriteObs(std::span<float> obs) const override {
    const auto q = sim_.qpos();
    const auto v = sim_.qvel();
    const auto f = sim_.xpos(fingertip_), t = sim_.xpos(target_);
    obs[0] = static_cast<float>(std::cos(q[0]));
    obs[1] = static_cast<float>(std::cos(q[1]));
    obs[2] = static_cast<float>(std::sin(q[0]));
    obs[3] = static_cast<float>(std::sin(q[1]));
    obs[4] = static_cast<float>(q[2]);
    obs[5] = static_cast<float>(q[3]);
    obs[6] = static_cast<float>(v[0]);
    obs[7] = static_cast<float>(v[1]);
    for (int i = 0; i < (v5_ ? 2 : 3); ++i) obs[8 + i] = static_cast<float>(f[i] - t[i]);
  }

 private:
  bool v5_;
  double dist_weight_, control_weight_;
  int fingertip_, target_;
};

}  // namespace

std::unique_ptr<Env> MakeReacher(const EnvKwargs& kwargs) {
  KwargsReader(kwargs, "Reacher-v4").Finish();  // Gymnasium's v4 takes none either
  const EnvKwargs none;
  KwargsReader kw(none, "Reacher-v4");
  return std::make_unique<Reacher>("Reacher-v4", MujocoModelChoice{"reacher", "", 2}, kw, false);
}

std::unique_ptr<Env> MakeReacherV5(const EnvKwargs& kwargs) {
  KwargsReader kw(kwargs, "Reacher-v5");
  const MujocoModelChoice model = ReadModelChoice(kw, "reacher.xml", 2);
  return std::make_unique<Reacher>("Reacher-v5", model, kw, true);
}

}  // namespace ratchet
