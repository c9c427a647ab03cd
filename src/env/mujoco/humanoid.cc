// Humanoid-v4 and -v5 (docs/ENVIRONMENTS.md#humanoid-v4): reward = 1.25 x velocity of the
// whole-body centre of mass (from data.xipos) + 5 (healthy) - 0.1 sum(ctrl^2) [- contact cost];
// terminated unless 1.0 < z < 2.0; reset qpos, qvel + U(-1e-2, 1e-2).
// v4: 376 observations (qpos[2:], qvel, cinert, cvel, qfrc_actuator, cfrc_ext as mj_step left
// them), no contact cost, the healthy reward on every step. v5: 348 (the world body's rows and
// the free joint's actuator forces left out), contact cost min(5e-7 sum(cfrc_ext^2), 10), the
// healthy reward only while healthy, tendon lengths and velocities in info, Gymnasium's keyword
// arguments.
#include <cmath>

#include "env/mujoco/tasks.h"

namespace ratchet {
namespace {

struct HumanoidParams {
  bool v5 = false;
  double forward_weight = 1.25, ctrl_weight = 0.1, contact_weight = 5e-7, healthy_reward = 5.0, noise = 1e-2;
  std::pair<double, double> contact_range{-std::numeric_limits<double>::infinity(), 10.0}, z{1.0, 2.0};
  bool terminate = true, cinert = true, cvel = true, qfrc_actuator = true, cfrc_ext = true;
  int skip = 2;
};

class Humanoid final : public MujocoEnv {
 public:
  Humanoid(const char* id, const MujocoModelChoice& model, const HumanoidParams& p)
      : MujocoEnv(id, model, 1000, std::nullopt), p_(p) {
    const mjModel* m = sim_.model();
    const int first = p.v5 ? 1 : 0, bodies = m->nbody - first;
    int n = sim_.nq() + sim_.nv() - p.skip;
    n += (p.cinert ? 10 * bodies : 0) + (p.cvel ? 6 * bodies : 0) + (p.cfrc_ext ? 6 * bodies : 0);
    n += p.qfrc_actuator ? sim_.nv() - (p.v5 ? 6 : 0) : 0;
    SetObservationDim(n);
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
    const auto qpos = UniformAround(sim_.init_qpos(), p_.noise);
    const auto qvel = UniformAround(Zeros(sim_.nv()), p_.noise);
    sim_.ResetTo(qpos, qvel);
  }
  void ResetInfo() override {
    if (!p_.v5) return;
    const double x = sim_.qpos()[0], y = sim_.qpos()[1];
    info_.Set("x_position", x);
    info_.Set("y_position", y);
    SetTendonInfo();
    info_.Set("distance_from_origin", std::hypot(x, y));
  }
  void SetTendonInfo() {
    const mjData* d = sim_.data();
    const size_t nt = sim_.model()->ntendon;
    info_.SetArray("tendon_length", {d->ten_length, nt});
    info_.SetArray("tendon_velocity", {d->ten_velocity, nt});
  }
  StepResult StepModel(std::span<const float> action) override {
    const auto [x_before, y_before] = MassCenter();
    sim_.DoSimulation(action, spec_.id);
    const auto [x_after, y_after] = MassCenter();
    const double x_velocity = (x_after - x_before) / sim_.dt();
    const double y_velocity = (y_after - y_before) / sim_.dt();
    double ctrl = 0;
    for (int i = 0; i < sim_.nu(); ++i) ctrl += sim_.data()->ctrl[i] * sim_.data()->ctrl[i];
    const double forward_reward = p_.forward_weight * x_velocity;
    const double ctrl_cost = p_.ctrl_weight * ctrl;
    const double z = sim_.qpos()[2];
    const bool healthy = p_.z.first < z && z < p_.z.second;
    const double healthy_reward = (p_.v5 ? healthy : healthy || p_.terminate) ? p_.healthy_reward : 0.0;
    const bool terminated = !healthy && p_.terminate;
    if (!p_.v5) {
      info_.Set("reward_linvel", forward_reward);
      info_.Set("reward_quadctrl", -ctrl_cost);
      info_.Set("reward_alive", healthy_reward);
      info_.Set("x_position", x_after);
      info_.Set("y_position", y_after);
      info_.Set("distance_from_origin", std::hypot(x_after, y_after));
      info_.Set("x_velocity", x_velocity);
      info_.Set("y_velocity", y_velocity);
      info_.Set("forward_reward", forward_reward);
      return {forward_reward + healthy_reward - ctrl_cost, terminated, false};
    }
    const mjData* d = sim_.data();
    double sq = 0;
    for (int i = 0; i < 6 * sim_.model()->nbody; ++i) sq += d->cfrc_ext[i] * d->cfrc_ext[i];
    const double contact_cost = std::clamp(p_.contact_weight * sq, p_.contact_range.first, p_.contact_range.second);
    const double x = sim_.qpos()[0], y = sim_.qpos()[1];
    info_.Set("x_position", x);
    info_.Set("y_position", y);
    SetTendonInfo();
    info_.Set("distance_from_origin", std::hypot(x, y));
    info_.Set("x_velocity", x_velocity);
    info_.Set("y_velocity", y_velocity);
    info_.Set("reward_survive", healthy_reward);
    info_.Set("reward_forward", forward_reward);
    info_.Set("reward_ctrl", -ctrl_cost);
    info_.Set("reward_contact", -contact_cost);
    return {forward_reward + healthy_reward - (ctrl_cost + contact_cost), terminated, false};
  }
  void WriteObs(std::span<float> obs) const override {
    const mjModel* m = sim_.model();
    const mjData* d = sim_.data();
    WritePositionsVelocities(obs, p_.skip, 0.0);
    size_t k = (m->nq - p_.skip) + m->nv;
    auto put = [&](const double* src, int n) {
      for (int i = 0; i < n; ++i) obs[k++] = static_cast<float>(src[i]);
    };
    const int first = p_.v5 ? 1 : 0, bodies = m->nbody - first;
    if (p_.cinert) put(d->cinert + 10 * first, 10 * bodies);
    if (p_.cvel) put(d->cvel + 6 * first, 6 * bodies);
    if (p_.qfrc_actuator) put(d->qfrc_actuator + (p_.v5 ? 6 : 0), m->nv - (p_.v5 ? 6 : 0));
    if (p_.cfrc_ext) put(d->cfrc_ext + 6 * first, 6 * bodies);
  }
  // the tendon lengths and velocities as mj_step left them, which v5's info reports
  void Serialize(StateArchive& ar) override {
    MujocoEnv::Serialize(ar);
    if (!p_.v5) return;
    mjData* d = sim_.mutable_data();
    const size_t nt = sim_.model()->ntendon;
    if (ar.saving()) {
      ar.writer()->PutArray(std::span<const double>(d->ten_length, nt));
      ar.writer()->PutArray(std::span<const double>(d->ten_velocity, nt));
    } else {
      ar.reader()->GetArray(std::span<double>(d->ten_length, nt), "ten_length");
      ar.reader()->GetArray(std::span<double>(d->ten_velocity, nt), "ten_velocity");
    }
  }

 private:
  HumanoidParams p_;
};

}  // namespace

std::unique_ptr<Env> MakeHumanoid(const EnvKwargs& kwargs) {
  KwargsReader(kwargs, "Humanoid-v4").Finish();
  return std::make_unique<Humanoid>("Humanoid-v4", MujocoModelChoice{"humanoid", "", 5}, HumanoidParams{});
}

std::unique_ptr<Env> MakeHumanoidV5(const EnvKwargs& kwargs) {
  KwargsReader kw(kwargs, "Humanoid-v5");
  const MujocoModelChoice model = ReadModelChoice(kw, "humanoid.xml", 5);
  HumanoidParams p;
  p.v5 = true;
  p.forward_weight = kw.Number("forward_reward_weight", 1.25);
  p.ctrl_weight = kw.Number("ctrl_cost_weight", 0.1);
  p.contact_weight = kw.Number("contact_cost_weight", 5e-7);
  p.contact_range = kw.Range("contact_cost_range", p.contact_range);
  p.healthy_reward = kw.Number("healthy_reward", 5.0);
  p.terminate = kw.Bool("terminate_when_unhealthy", true);
  p.z = kw.Range("healthy_z_range", {1.0, 2.0});
  p.noise = kw.Number("reset_noise_scale", 1e-2);
  p.skip = kw.Bool("exclude_current_positions_from_observation", true) ? 2 : 0;
  p.cinert = kw.Bool("include_cinert_in_observation", true);
  p.cvel = kw.Bool("include_cvel_in_observation", true);
  p.qfrc_actuator = kw.Bool("include_qfrc_actuator_in_observation", true);
  p.cfrc_ext = kw.Bool("include_cfrc_ext_in_observation", true);
  kw.Finish();
  return std::make_unique<Humanoid>("Humanoid-v5", model, p);
}

}  // namespace ratchet
