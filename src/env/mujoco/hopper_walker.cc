// Hopper and Walker2d, v4 and v5 (docs/ENVIRONMENTS.md#hopper-v4, #walker2d-v4): reward = forward
// velocity + healthy reward - 1e-3 sum(a^2); terminated when unhealthy; reset qpos, qvel +
// U(-5e-3, 5e-3); observation qpos[1:] and qvel clipped to +-10. v4 pays the healthy reward on
// every step, the terminating one included (its quirk); v5 pays it only while healthy, adds the
// reward terms and z_distance_from_origin to info, and Walker2d-v5 gives both feet friction 1.9
// (v4: the left foot only). One file: the two tasks differ only in the model and the health test.
#include <cmath>
#include <limits>

#include "env/mujoco/tasks.h"

namespace ratchet {
namespace {

const double kInf = std::numeric_limits<double>::infinity();
using Range = std::pair<double, double>;

bool Inside(double x, Range r) { return r.first < x && x < r.second; }

struct Health {
  bool hopper = true;                  // Walker2d does not bound the state
  Range state{-100.0, 100.0}, z{0.7, kInf}, angle{-0.2, 0.2};
};

bool Healthy(std::span<const double> q, std::span<const double> v, const Health& h) {
  if (h.hopper) {  // every entry of state_vector()[2:] (qpos[2:] then the unclipped qvel)
    for (size_t i = 2; i < q.size(); ++i)
      if (!Inside(q[i], h.state)) return false;
    for (double x : v)
      if (!Inside(x, h.state)) return false;
  }
  return Inside(q[1], h.z) && Inside(q[2], h.angle);
}

Health WalkerDefaults() { return {false, {-kInf, kInf}, {0.8, 2.0}, {-1.0, 1.0}}; }

}  // namespace

bool HopperHealthy(std::span<const double> q, std::span<const double> v) { return Healthy(q, v, Health{}); }
bool Walker2dHealthy(std::span<const double> q) { return Healthy(q, {}, WalkerDefaults()); }

namespace {

class PlanarWalker final : public MujocoEnv {
 public:
  PlanarWalker(const char* id, const MujocoModelChoice& model, std::optional<double> threshold, bool hopper,
               KwargsReader& kw, bool v5)
      : MujocoEnv(id, model, 1000, threshold), v5_(v5) {
    health_ = hopper ? Health{} : WalkerDefaults();
    forward_weight_ = kw.Number("forward_reward_weight", 1.0);
    ctrl_weight_ = kw.Number("ctrl_cost_weight", 1e-3);
    healthy_reward_ = kw.Number("healthy_reward", 1.0);
    terminate_ = kw.Bool("terminate_when_unhealthy", true);
    if (hopper) health_.state = kw.Range("healthy_state_range", health_.state);
    health_.z = kw.Range("healthy_z_range", health_.z);
    health_.angle = kw.Range("healthy_angle_range", health_.angle);
    noise_ = kw.Number("reset_noise_scale", 5e-3);
    skip_ = kw.Bool("exclude_current_positions_from_observation", true) ? 1 : 0;
    kw.Finish();
    SetObservationDim(sim_.nq() + sim_.nv() - skip_);
    camera_ = {2, hopper ? 3.0 : 4.0, -20.0, 90.0, 0.0};  // the reference tracks body 2
  }

 protected:
  void ResetModel() override {
    const auto qpos = UniformAround(sim_.init_qpos(), noise_);
    const auto qvel = UniformAround(Zeros(sim_.nv()), noise_);
    sim_.ResetTo(qpos, qvel);
  }
  void ResetInfo() override {
    if (!v5_) return;
    info_.Set("x_position", sim_.qpos()[0]);
    info_.Set("z_distance_from_origin", sim_.qpos()[1] - sim_.init_qpos()[1]);
  }
  StepResult StepModel(std::span<const float> action) override {
    const double x_before = sim_.qpos()[0];
    sim_.DoSimulation(action, spec_.id);
    const double x_after = sim_.qpos()[0];
    const double x_velocity = (x_after - x_before) / sim_.dt();
    const double forward_reward = forward_weight_ * x_velocity;
    const double ctrl_cost = ControlCost(action, ctrl_weight_);
    const bool healthy = Healthy(sim_.qpos(), sim_.qvel(), health_);
    const double healthy_reward = (v5_ ? healthy : healthy || terminate_) ? healthy_reward_ : 0.0;
    info_.Set("x_position", x_after);
    if (v5_) info_.Set("z_distance_from_origin", sim_.qpos()[1] - sim_.init_qpos()[1]);
    info_.Set("x_velocity", x_velocity);
    if (v5_) {
      info_.Set("reward_forward", forward_reward);
      info_.Set("reward_ctrl", -ctrl_cost);
      info_.Set("reward_survive", healthy_reward);
    }
    return {forward_reward + healthy_reward - ctrl_cost, !healthy && terminate_, false};
  }
  void WriteObs(std::span<float> obs) const override { WritePositionsVelocities(obs, skip_, 10.0); }

 private:
  bool v5_;
  Health health_;
  double forward_weight_, ctrl_weight_, healthy_reward_, noise_;
  bool terminate_;
  int skip_;
};

std::unique_ptr<Env> Make(const char* id, const EnvKwargs& kwargs, bool hopper, bool v5) {
  KwargsReader kw(kwargs, id);
  const char* model = hopper ? "hopper" : v5 ? "walker2d_v5" : "walker2d";
  const MujocoModelChoice choice = v5 ? ReadModelChoice(kw, std::string(model) + ".xml", 4) : MujocoModelChoice{model, "", 4};
  const std::optional<double> threshold = hopper ? std::optional<double>(3800.0) : std::nullopt;
  return std::make_unique<PlanarWalker>(id, choice, threshold, hopper, kw, v5);
}

}  // namespace

std::unique_ptr<Env> MakeHopper(const EnvKwargs& kw) { return Make("Hopper-v4", kw, true, false); }
std::unique_ptr<Env> MakeWalker2d(const EnvKwargs& kw) { return Make("Walker2d-v4", kw, false, false); }
std::unique_ptr<Env> MakeHopperV5(const EnvKwargs& kw) { return Make("Hopper-v5", kw, true, true); }
std::unique_ptr<Env> MakeWalker2dV5(const EnvKwargs& kw) { return Make("Walker2d-v5", kw, false, true); }

}  // namespace ratchet
