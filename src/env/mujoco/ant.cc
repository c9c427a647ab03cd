// Ant-v4 and -v5 (docs/ENVIRONMENTS.md#ant-v4). Reward = torso x velocity (from data.xpos) +
// healthy reward - 0.5 sum(a^2) [- contact cost]; terminated unless qpos and qvel are finite and
// 0.2 <= z <= 1.0 (inclusive); reset qpos + U(-0.1, 0.1) (quaternion not renormalised),
// qvel + 0.1 N(0, 1).
// v4 (Gymnasium's defaults): 27 observations (qpos[2:], qvel), no contact cost, the healthy
// reward paid on every step. v5: 105 observations (+ cfrc_ext of bodies 1.. clipped to [-1, 1]),
// contact cost 5e-4 sum(clipped cfrc_ext^2), the healthy reward only while healthy, x/y_position
// from qpos, and Gymnasium's keyword arguments.
#include <cmath>

#include "env/mujoco/tasks.h"

namespace ratchet {

bool AntHealthy(std::span<const double> q, std::span<const double> v) {
  for (double x : q)
    if (!std::isfinite(x)) return false;
  for (double x : v)
    if (!std::isfinite(x)) return false;
  return 0.2 <= q[2] && q[2] <= 1.0;
}

namespace {

struct AntParams {
  bool v5 = false;
  double forward_weight = 1.0, ctrl_weight = 0.5, contact_weight = 5e-4, healthy_reward = 1.0, noise = 0.1;
  std::string main_body = "1";
  bool terminate = true, contact_in_obs = false;
  std::pair<double, double> z{0.2, 1.0}, contact_range{-1.0, 1.0};
  int skip = 2;
};

class Ant final : public MujocoEnv {
 public:
  Ant(const char* id, const MujocoModelChoice& model, const AntParams& p)
      : MujocoEnv(id, model, 1000, 6000.0), p_(p) {
    const std::string& b = p.main_body;
    const bool index = !b.empty() && b.find_first_not_of("0123456789") == std::string::npos;
    body_ = index ? std::stoi(b.substr(0, 6)) : sim_.BodyId(b.c_str());
    if (body_ < 0 || body_ >= sim_.model()->nbody)
      throw Error(fmt::format("{}: main_body {} is not a body of the model (it has {})", id, b, sim_.model()->nbody));
    const int contacts = p.contact_in_obs ? 6 * (sim_.model()->nbody - 1) : 0;
    SetObservationDim(sim_.nq() + sim_.nv() - p.skip + contacts);
    camera_ = {1, 4.0, -30.0, 90.0, 0.0};
  }

  bool Healthy() const {
    for (double x : sim_.qpos())
      if (!std::isfinite(x)) return false;
    for (double x : sim_.qvel())
      if (!std::isfinite(x)) return false;
    const double z = sim_.qpos()[2];
    return p_.z.first <= z && z <= p_.z.second;
  }

 protected:
  void ResetModel() override {
    const auto qpos = UniformAround(sim_.init_qpos(), p_.noise);
    const auto qvel = NormalAround(Zeros(sim_.nv()), p_.noise);
    sim_.ResetTo(qpos, qvel);
  }
  void ResetInfo() override {
    if (!p_.v5) return;
    const double x = sim_.qpos()[0], y = sim_.qpos()[1];
    info_.Set("x_position", x);
    info_.Set("y_position", y);
    info_.Set("distance_from_origin", std::hypot(x, y));
  }
  double ContactForce(int i) const {
    return std::clamp(sim_.data()->cfrc_ext[i], p_.contact_range.first, p_.contact_range.second);
  }
  StepResult StepModel(std::span<const float> action) override {
    const double x_before = sim_.xpos(body_)[0], y_before = sim_.xpos(body_)[1];
    sim_.DoSimulation(action, spec_.id);
    const double x_after = sim_.xpos(body_)[0], y_after = sim_.xpos(body_)[1];
    const double x_velocity = (x_after - x_before) / sim_.dt();
    const double y_velocity = (y_after - y_before) / sim_.dt();
    const double forward_reward = x_velocity * p_.forward_weight;
    const double ctrl_cost = ControlCost(action, p_.ctrl_weight);
    const bool healthy = Healthy();
    const double healthy_reward = (p_.v5 ? healthy : healthy || p_.terminate) ? p_.healthy_reward : 0.0;
    if (!p_.v5) {
      info_.Set("reward_forward", forward_reward);
      info_.Set("reward_ctrl", -ctrl_cost);
      info_.Set("reward_survive", healthy_reward);
      info_.Set("x_position", x_after);
      info_.Set("y_position", y_after);
      info_.Set("distance_from_origin", std::hypot(x_after, y_after));
      info_.Set("x_velocity", x_velocity);
      info_.Set("y_velocity", y_velocity);
      info_.Set("forward_reward", forward_reward);
      return {forward_reward + healthy_reward - ctrl_cost, !healthy && p_.terminate, false};
    }
    double sq = 0;
    for (int i = 0; i < 6 * sim_.model()->nbody; ++i) sq += ContactForce(i) * ContactForce(i);
    const double contact_cost = p_.contact_weight * sq;
    const double x = sim_.qpos()[0], y = sim_.qpos()[1];
    info_.Set("x_position", x);
    info_.Set("y_position", y);
    info_.Set("distance_from_origin", std::hypot(x, y));
    info_.Set("x_velocity", x_velocity);
    info_.Set("y_velocity", y_velocity);
    info_.Set("reward_forward", forward_reward);
    info_.Set("reward_ctrl", -ctrl_cost);
    info_.Set("reward_contact", -contact_cost);
    info_.Set("reward_survive", healthy_reward);
    return {forward_reward + healthy_reward - (ctrl_cost + contact_cost), !healthy && p_.terminate, false};
  }
  void WriteObs(std::span<float> obs) const override {
    WritePositionsVelocities(obs, p_.skip, 0.0);
    if (!p_.contact_in_obs) return;
    size_t k = sim_.nq() - p_.skip + sim_.nv();
    for (int i = 6; i < 6 * sim_.model()->nbody; ++i) obs[k++] = static_cast<float>(ContactForce(i));
  }

 private:
  AntParams p_;
  int body_ = 1;
};

}  // namespace

std::unique_ptr<Env> MakeAnt(const EnvKwargs& kwargs) {
  KwargsReader(kwargs, "Ant-v4").Finish();
  return std::make_unique<Ant>("Ant-v4", MujocoModelChoice{"ant", "", 5}, AntParams{});
}

std::unique_ptr<Env> MakeAntV5(const EnvKwargs& kwargs) {
  KwargsReader kw(kwargs, "Ant-v5");
  const MujocoModelChoice model = ReadModelChoice(kw, "ant.xml", 5);
  AntParams p;
  p.v5 = true;
  p.forward_weight = kw.Number("forward_reward_weight", 1.0);
  p.ctrl_weight = kw.Number("ctrl_cost_weight", 0.5);
  p.contact_weight = kw.Number("contact_cost_weight", 5e-4);
  p.healthy_reward = kw.Number("healthy_reward", 1.0);
  p.main_body = kw.IntOrName("main_body", "1");
  p.terminate = kw.Bool("terminate_when_unhealthy", true);
  p.z = kw.Range("healthy_z_range", {0.2, 1.0});
  p.contact_range = kw.Range("contact_force_range", {-1.0, 1.0});
  p.noise = kw.Number("reset_noise_scale", 0.1);
  p.skip = kw.Bool("exclude_current_positions_from_observation", true) ? 2 : 0;
  p.contact_in_obs = kw.Bool("include_cfrc_ext_in_observation", true);
  kw.Finish();
  return std::make_unique<Ant>("Ant-v5", model, p);
}

}  // namespace ratchet
