// InvertedDoublePendulum-v4 and -v5 (docs/ENVIRONMENTS.md#inverteddoublependulum-v4): reward 10 -
// distance and velocity penalties of the tip site, terminated when the tip is at or below 1 m.
// v4: 11 observations (three constraint forces); v5: 9 (the cart's constraint force only), the
// alive bonus withheld on the terminating step, the reward terms in info.
#include <cmath>

#include "env/mujoco/tasks.h"

namespace ratchet {
namespace {

class InvertedDoublePendulum final : public MujocoEnv {
 public:
  InvertedDoublePendulum(const char* id, const MujocoModelChoice& model, KwargsReader& kw, bool v5)
      : MujocoEnv(id, model, 1000, 9100.0), v5_(v5) {
    healthy_reward_ = kw.Number("healthy_reward", 10.0);
    noise_ = kw.Number("reset_noise_scale", 0.1);
    kw.Finish();
    if (sim_.nq() != 3 || sim_.nv() != 3 || sim_.model()->nsite < 1)
      throw Error(fmt::format("{}: the model needs three joints (cart, two poles) and a tip site", id));
    SetObservationDim(v5 ? 9 : 11);
    camera_ = {0, 4.1225, -10.0, 90.0, 0.6};
  }

 protected:
  void ResetModel() override {
    const auto qpos = UniformAround(sim_.init_qpos(), noise_);
    const auto qvel = NormalAround(Zeros(sim_.nv()), noise_);
    sim_.ResetTo(qpos, qvel);
  }
  StepResult StepModel(std::span<const float> action) override {
    sim_.DoSimulation(action, spec_.id);
    const double* tip = sim_.data()->site_xpos;  // (x, y, z) of site "tip"; z is the height
    const double x = tip[0], y = tip[2];
    const auto v = sim_.qvel();
    const double dist_penalty = 0.01 * x * x + (y - 2) * (y - 2);
    const double vel_penalty = 1e-3 * v[1] * v[1] + 5e-3 * v[2] * v[2];
    StepResult r;
    r.terminated = y <= 1;
    const double alive_bonus = v5_ && r.terminated ? 0.0 : healthy_reward_;
    r.reward = alive_bonus - dist_penalty - vel_penalty;
    if (v5_) {
      info_.Set("reward_survive", alive_bonus);
      info_.Set("distance_penalty", -dist_penalty);
      info_.Set("velocity_penalty", -vel_penalty);
    }
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
    for (int i = 0; i < (v5_ ? 1 : 3); ++i) obs[8 + i] = static_cast<float>(std::clamp(fc[i], -10.0, 10.0));
  }

 private:
  bool v5_;
  double healthy_reward_, noise_;
};

}  // namespace

std::unique_ptr<Env> MakeInvertedDoublePendulum(const EnvKwargs& kwargs) {
  KwargsReader(kwargs, "InvertedDoublePendulum-v4").Finish();  // Gymnasium's v4 takes none either
  const EnvKwargs none;
  KwargsReader kw(none, "InvertedDoublePendulum-v4");
  return std::make_unique<InvertedDoublePendulum>("InvertedDoublePendulum-v4",
                                                  MujocoModelChoice{"inverted_double_pendulum", "", 5}, kw, false);
}

std::unique_ptr<Env> MakeInvertedDoublePendulumV5(const EnvKwargs& kwargs) {
  KwargsReader kw(kwargs, "InvertedDoublePendulum-v5");
  const MujocoModelChoice model = ReadModelChoice(kw, "inverted_double_pendulum.xml", 5);
  return std::make_unique<InvertedDoublePendulum>("InvertedDoublePendulum-v5", model, kw, true);
}

}  // namespace ratchet
