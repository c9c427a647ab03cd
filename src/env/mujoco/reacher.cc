// Reacher-v4 (docs/ENVIRONMENTS.md#reacher-v4): reward = -|fingertip - target| - sum(a^2),
// computed *before* stepping (the v4 ordering); never terminates; truncated at 50. Reset: joint
// noise U(-0.1, 0.1), a goal drawn uniformly in the disc of radius 0.2 by rejection, arm
// velocities U(-0.005, 0.005), target velocities 0.
#include <cmath>

#include "env/mujoco/tasks.h"

namespace ratchet {
namespace {

class Reacher final : public MujocoEnv {
 public:
  Reacher() : MujocoEnv("Reacher-v4", "reacher", 2, 11, 50, -3.75) {
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
  StepResult StepModel(std::span<const float> action) override {
    const auto f = sim_.xpos(fingertip_), t = sim_.xpos(target_);
    const double reward_dist = -std::sqrt((f[0] - t[0]) * (f[0] - t[0]) + (f[1] - t[1]) * (f[1] - t[1]) +
                                          (f[2] - t[2]) * (f[2] - t[2]));
    const double reward_ctrl = -ControlCost(action, 1.0);
    sim_.DoSimulation(action, spec_.id);
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
    for (int i = 0; i < 3; ++i) obs[8 + i] = static_cast<float>(f[i] - t[i]);
  }

 private:
  int fingertip_, target_;
};

}  // namespace

std::unique_ptr<Env> MakeReacher() { return std::make_unique<Reacher>(); }

}  // namespace ratchet
