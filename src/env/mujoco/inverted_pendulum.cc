// InvertedPendulum-v4 (docs/ENVIRONMENTS.md#invertedpendulum-v4): reward 1 per step, terminated when
// the pole angle leaves (-0.2, 0.2) or the observation is not finite.
#include <cmath>

#include "env/mujoco/tasks.h"

namespace ratchet {
namespace {

class InvertedPendulum final : public MujocoEnv {
 public:
  InvertedPendulum() : MujocoEnv("InvertedPendulum-v4", "inverted_pendulum", 2, 4, 1000, 950.0) {
    camera_ = {0, 2.04, -10.0, 90.0, 0.2};
  }

 protected:
  void ResetModel() override {
    const auto qpos = UniformAround(sim_.init_qpos(), 0.01);
    const auto qvel = UniformAround(Zeros(sim_.nv()), 0.01);
    sim_.ResetTo(qpos, qvel);
  }
  StepResult StepModel(std::span<const float> action) override {
    sim_.DoSimulation(action, spec_.id);
    float obs[4];
    WriteObs(obs);
    StepResult r;
    r.reward = 1.0;
    bool finite = true;
    for (float v : obs) finite = finite && std::isfinite(v);
    r.terminated = !finite || std::fabs(obs[1]) > 0.2f;
    return r;
  }
  void WriteObs(std::span<float> obs) const override {
    obs[0] = static_cast<float>(sim_.qpos()[0]);
    obs[1] = static_cast<float>(sim_.qpos()[1]);
    obs[2] = static_cast<float>(sim_.qvel()[0]);
    obs[3] = static_cast<float>(sim_.qvel()[1]);
  }
};

}  // namespace

std::unique_ptr<Env> MakeInvertedPendulum() { return std::make_unique<InvertedPendulum>(); }

}  // namespace ratchet
