// Hopper-v4 and Walker2d-v4 (docs/ENVIRONMENTS.md#hopper-v4, #walker2d-v4): reward = forward
// velocity + 1 (healthy reward, paid on every step including the terminating one: the v4
// quirk) - 1e-3 sum(a^2); terminated when unhealthy; reset qpos, qvel + U(-5e-3, 5e-3);
// observation qpos[1:] and qvel clipped to +-10. One file: the two tasks differ only in the
// model and the health test.
#include <cmath>
#include <limits>

#include "env/mujoco/tasks.h"

namespace ratchet {

bool HopperHealthy(std::span<const double> q, std::span<const double> v) {
  // every entry of state_vector()[2:] (qpos[2:] then the unclipped qvel) inside (-100, 100)
  for (size_t i = 2; i < q.size(); ++i)
    if (!(-100.0 < q[i] && q[i] < 100.0)) return false;
  for (double x : v)
    if (!(-100.0 < x && x < 100.0)) return false;
  const double z = q[1], angle = q[2];
  return 0.7 < z && z < std::numeric_limits<double>::infinity() && -0.2 < angle && angle < 0.2;
}

bool Walker2dHealthy(std::span<const double> q) {
  const double z = q[1], angle = q[2];
  return 0.8 < z && z < 2.0 && -1.0 < angle && angle < 1.0;
}

namespace {

class PlanarWalker final : public MujocoEnv {
 public:
  PlanarWalker(const char* id, const char* model, int obs_dim, std::optional<double> threshold, bool hopper)
      : MujocoEnv(id, model, 4, obs_dim, 1000, threshold), hopper_(hopper) {
    camera_ = {2, hopper ? 3.0 : 4.0, -20.0, 90.0, 0.0};  // the reference tracks body 2
  }

  bool Healthy() const { return hopper_ ? HopperHealthy(sim_.qpos(), sim_.qvel()) : Walker2dHealthy(sim_.qpos()); }

 protected:
  void ResetModel() override {
    const auto qpos = UniformAround(sim_.init_qpos(), 5e-3);
    const auto qvel = UniformAround(Zeros(sim_.nv()), 5e-3);
    sim_.ResetTo(qpos, qvel);
  }
  StepResult StepModel(std::span<const float> action) override {
    const double x_before = sim_.qpos()[0];
    sim_.DoSimulation(action, spec_.id);
    const double x_after = sim_.qpos()[0];
    const double x_velocity = (x_after - x_before) / sim_.dt();
    const double ctrl_cost = ControlCost(action, 1e-3);
    const double healthy_reward = 1.0;
    const bool healthy = Healthy();
    info_.Set("x_position", x_after);
    info_.Set("x_velocity", x_velocity);
    return {x_velocity + healthy_reward - ctrl_cost, !healthy, false};
  }
  void WriteObs(std::span<float> obs) const override { WritePositionsVelocities(obs, 1, 10.0); }

 private:
  bool hopper_;
};

}  // namespace

std::unique_ptr<Env> MakeHopper() { return std::make_unique<PlanarWalker>("Hopper-v4", "hopper", 11, 3800.0, true); }
std::unique_ptr<Env> MakeWalker2d() {
  return std::make_unique<PlanarWalker>("Walker2d-v4", "walker2d", 17, std::nullopt, false);
}

}  // namespace ratchet
