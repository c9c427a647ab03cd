// InvertedPendulum-v4 and -v5 (docs/ENVIRONMENTS.md#invertedpendulum-v4): terminated when the
// pole angle leaves [-0.2, 0.2] or the observation is not finite; reward 1 per step (v4), or 1
// while not terminated and 0 on the terminating step, with info reward_survive (v5).
#include <cmath>

#include "env/mujoco/tasks.h"

namespace ratchet {
namespace {

class InvertedPendulum final : public MujocoEnv {
 public:
  InvertedPendulum(const char* id, const MujocoModelChoice& model, KwargsReader& kw, bool v5)
      : MujocoEnv(id, model, 1000, 950.0), v5_(v5) {
    noise_ = kw.Number("reset_noise_scale", 0.01);
    kw.Finish();
    if (sim_.nq() < 2 || sim_.nv() < 2)
      throw Error(fmt::format("{}: the model needs two joints (cart, pole), it has nq = {}", id, sim_.nq()));
    SetObservationDim(sim_.nq() + sim_.nv());
    camera_ = {0, 2.04, -10.0, 90.0, 0.2};
  }

 protected:
  void ResetModel() override {
    const auto qpos = UniformAround(sim_.init_qpos(), noise_);
    const auto qvel = UniformAround(Zeros(sim_.nv()), noise_);
    sim_.ResetTo(qpos, qvel);
  }
  StepResult StepModel(std::span<const float> action) override {
    sim_.DoSimulation(action, spec_.id);
    obs_.resize(spec_.observation_space.flat_dim());
    WriteObs(obs_);
    bool finite = true;
    for (float v : obs_) finite = finite && std::isfinite(v);
    StepResult r;
    r.terminated = !finite || std::fabs(obs_[1]) > 0.2f;
    r.reward = v5_ && r.terminated ? 0.0 : 1.0;
    if (v5_) info_.Set("reward_survive", r.reward);
    return r;
  }
  void WriteObs(std::span<float> obs) const override { WritePositionsVelocities(obs, 0, 0.0); }

 private:
  bool v5_;
  double noise_;
  std::vector<float> obs_;
};

}  // namespace

std::unique_ptr<Env> MakeInvertedPendulum(const EnvKwargs& kwargs) {
  KwargsReader(kwargs, "InvertedPendulum-v4").Finish();  // Gymnasium's v4 takes none either
  const EnvKwargs none;
  KwargsReader kw(none, "InvertedPendulum-v4");
  return std::make_unique<InvertedPendulum>("InvertedPendulum-v4", MujocoModelChoice{"inverted_pendulum", "", 2}, kw, false);
}

std::unique_ptr<Env> MakeInvertedPendulumV5(const EnvKwargs& kwargs) {
  KwargsReader kw(kwargs, "InvertedPendulum-v5");
  const MujocoModelChoice model = ReadModelChoice(kw, "inverted_pendulum.xml", 2);
  return std::make_unique<InvertedPendulum>("InvertedPendulum-v5", model, kw, true);
}

}  // namespace ratchet
