// Humanoid-v4 (docs/ENVIRONMENTS.md#humanoid-v4): 376 observations (qpos[2:], qvel, cinert,
// cvel, qfrc_actuator, cfrc_ext as mj_step left them), reward = 1.25 x velocity of the whole-body
// centre of mass (from data.xipos) + 5 (paid every step) - 0.1 sum(ctrl^2), no contact cost;
// terminated unless 1.0 < z < 2.0; reset qpos, qvel + U(-1e-2, 1e-2).
#include <cmath>

#include "env/mujoco/tasks.h"

namespace ratchet {
namespace {

class Humanoid final : public MujocoEnv {
 public:
  Humanoid() : MujocoEnv("Humanoid-v4", "humanoid", 5, 376, 1000, std::nullopt) {
    camera_ = {1, 4.0, -20.0, 90.0, 0.0};
  }

  // sum_b m_b xipos_b / sum_b m_b, x and y
  std::pair<double, double> MassCenter() const {
    const mjModel* m = sim_.model();
    const mjData* d = sim_.data();
    double mx = 0, my = 0, total = 0;
    for (int b = 0; b < m->nbody; ++b) {
      mx += m->body_mass[b] * d->xipos[3 * b];
      my += m->body_mass[b] * d->xipos[3 * b + 1];
      total += m->body_mass[b];
    }
    return {mx / total, my / total};
  }

 protected:
  void ResetModel() override {
    const auto qpos = UniformAround(sim_.init_qpos(), 1e-2);
    const auto qvel = UniformAround(Zeros(sim_.nv()), 1e-2);
    sim_.ResetTo(qpos, qvel);
  }
  StepResult StepModel(std::span<const float> action) override {
    const auto [x_before, y_before] = MassCenter();
    sim_.DoSimulation(action, spec_.id);
    const auto [x_after, y_after] = MassCenter();
    const double x_velocity = (x_after - x_before) / sim_.dt();
    const double y_velocity = (y_after - y_before) / sim_.dt();
    double ctrl = 0;
    for (int i = 0; i < sim_.nu(); ++i) ctrl += sim_.data()->ctrl[i] * sim_.data()->ctrl[i];
    const double forward_reward = 1.25 * x_velocity;
    const double ctrl_cost = 0.1 * ctrl;
    const double healthy_reward = 5.0;
    const double z = sim_.qpos()[2];
    info_.Set("reward_linvel", forward_reward);
    info_.Set("reward_quadctrl", -ctrl_cost);
    info_.Set("reward_alive", healthy_reward);
    info_.Set("x_position", x_after);
    info_.Set("y_position", y_after);
    info_.Set("distance_from_origin", std::hypot(x_after, y_after));
    info_.Set("x_velocity", x_velocity);
    info_.Set("y_velocity", y_velocity);
    info_.Set("forward_reward", forward_reward);
    return {forward_reward + healthy_reward - ctrl_cost, !(1.0 < z && z < 2.0), false};
  }
  void WriteObs(std::span<float> obs) const override {
    const mjModel* m = sim_.model();
    const mjData* d = sim_.data();
    WritePositionsVelocities(obs, 2, 0.0);  // 22 + 23
    size_t k = (m->nq - 2) + m->nv;
    auto put = [&](const double* src, int n) {
      for (int i = 0; i < n; ++i) obs[k++] = static_cast<float>(src[i]);
    };
    put(d->cinert, 10 * m->nbody);
    put(d->cvel, 6 * m->nbody);
    put(d->qfrc_actuator, m->nv);
    put(d->cfrc_ext, 6 * m->nbody);
  }
};

}  // namespace

std::unique_ptr<Env> MakeHumanoid() { return std::make_unique<Humanoid>(); }

}  // namespace ratchet
