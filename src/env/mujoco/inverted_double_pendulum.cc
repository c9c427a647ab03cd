// InvertedDoublePendulum-v4 (docs/ENVIRONMENTS.md#inverteddoublependulum-v4): reward 10 - distance and
// velocity penalties of the tip site, terminated when the tip is at or below 1 m.
#include <cmath>

#include "env/mujoco/tasks.h"

namespace ratchet {
namespace {

class InvertedDoublePendulum final : public MujocoEnv {
 public:
  InvertedDoublePendulum()
      : MujocoEnv("InvertedDoublePendulum-v4", "inverted_double_pendulum", 5, 11, 1000, 9100.0) {
    camera_ = {0, 4.1225, -10.0, 90.0, 0.6};
  }

 protected:
  void ResetModel() override {
    const auto qpos = UniformAround(sim_.init_qpos(), 0.1);
    const auto qvel = NormalAround(Zeros(sim_.nv()), 0.1);
    sim_.ResetTo(qpos, qvel);
  }
  StepResult StepModel(std::span<const float> action) override {
    sim_.DoSimulation(action, spec_.id);
    const double* tip = sim_.data()->site_xpos;  // (x, y, z) of site "tip"; z is the height
    const double x = tip[0], y = tip[2];
    const auto v = sim_.qvel();
    const double dist_penalty = 0.01 * x * x + (y - 2) * (y - 2);
    const double vel_penalty = 1e-3 * v[1] * v[1] + 5e-3 * v[2] * v[2];
    const double alive_bonus = 10.0;
    StepResult r;
    r.reward = alive_bonus - dist_penalty - vel_penalty;
    r.terminated = y <= 1;
    return r;
  }
  void WriteObs(std::span<float> obs) const override {
    const auto q = sim_.qpos();
    const auto v = sim_.qvel();
    const double* fc = sim_.data()->qfrc_constraint;
    obs[0] = static_cast<float>(q[0]);
    obs[1] = static_cast<float>(std::sin(q[1]));
    obs[2] = static_cast<float>(std::sin(q[2]));
    obs[3] = static_cast<float>(std::cos(q[1]));
    obs[4] = static_cast<float>(std::cos(q[2]));
    for (int i = 0; i < 3; ++i) obs[5 + i] = static_cast<float>(std::clamp(v[i], -10.0, 10.0));
    for (int i = 0; i < 3; ++i) obs[8 + i] = static_cast<float>(std::clamp(fc[i], -10.0, 10.0));
  }
};

}  // namespace

std::unique_ptr<Env> MakeInvertedDoublePendulum() { return std::make_unique<InvertedDoublePendulum>(); }

}  // namespace ratchet
