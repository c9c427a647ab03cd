// The environment registry: one plain table, no static self-registration.
#include <functional>

#include "env/classic/acrobot.h"
#include "env/classic/cartpole.h"
#include "env/classic/cartpole_swingup.h"
#include "env/classic/mountain_car.h"
#include "env/classic/pendulum.h"
#include "env/mujoco/tasks.h"
#include "ratchet/env.h"

namespace ratchet {
namespace {

struct Entry {
  const char* id;
  std::function<EnvSpec()> spec;
  std::function<std::unique_ptr<Env>(const EnvSpec&)> make;
};

// A MuJoCo task builds its own spec (the action bounds come from the compiled model).
Entry MujocoEntry(const char* id, std::unique_ptr<Env> (*make)()) {
  return {id, [make] { return make()->spec(); }, [make](const EnvSpec&) { return make(); }};
}

const std::vector<Entry>& Table() {
  static const std::vector<Entry> table = {
      {"CartPole-v0", [] { return CartPole::MakeSpec("CartPole-v0", 200, 195.0); },
       [](const EnvSpec& s) { return std::make_unique<CartPole>(s); }},
      {"CartPole-v1", [] { return CartPole::MakeSpec("CartPole-v1", 500, 475.0); },
       [](const EnvSpec& s) { return std::make_unique<CartPole>(s); }},
      {"Pendulum-v1", [] { return Pendulum::MakeSpec(); },
       [](const EnvSpec& s) { return std::make_unique<Pendulum>(s); }},
      {"Acrobot-v1", [] { return Acrobot::MakeSpec(); },
       [](const EnvSpec& s) { return std::make_unique<Acrobot>(s); }},
      {"MountainCarContinuous-v0", [] { return MountainCarContinuous::MakeSpec(); },
       [](const EnvSpec& s) { return std::make_unique<MountainCarContinuous>(s); }},
      {"CartPoleSwingUp-v0", [] { return CartPoleSwingUp::MakeSpec("CartPoleSwingUp-v0"); },
       [](const EnvSpec& s) { return std::make_unique<CartPoleSwingUp>(s, 0); }},
      {"CartPoleSwingUp-v1", [] { return CartPoleSwingUp::MakeSpec("CartPoleSwingUp-v1"); },
       [](const EnvSpec& s) { return std::make_unique<CartPoleSwingUp>(s, 1); }},
      MujocoEntry("HalfCheetah-v4", MakeHalfCheetah),
      MujocoEntry("Hopper-v4", MakeHopper),
      MujocoEntry("Walker2d-v4", MakeWalker2d),
      MujocoEntry("Ant-v4", MakeAnt),
      MujocoEntry("Humanoid-v4", MakeHumanoid),
      MujocoEntry("Swimmer-v4", MakeSwimmer),
      MujocoEntry("InvertedPendulum-v4", MakeInvertedPendulum),
      MujocoEntry("InvertedDoublePendulum-v4", MakeInvertedDoublePendulum),
      MujocoEntry("Reacher-v4", MakeReacher),
  };
  return table;
}

const Entry& Find(const std::string& id) {
  for (const Entry& e : Table())
    if (id == e.id) return e;
  std::string known;
  for (const Entry& e : Table()) known += (known.empty() ? "" : ", ") + std::string(e.id);
  throw Error("unknown environment '" + id + "'; known environments: " + known);
}

}  // namespace

std::unique_ptr<Env> MakeEnv(const std::string& id) {
  const Entry& e = Find(id);
  const EnvSpec spec = e.spec();
  return std::make_unique<TimeLimit>(e.make(spec), spec.max_episode_steps);
}

std::vector<std::string> ListEnvs() {
  std::vector<std::string> ids;
  for (const Entry& e : Table()) ids.emplace_back(e.id);
  return ids;
}

EnvSpec EnvSpecOf(const std::string& id) { return Find(id).spec(); }

}  // namespace ratchet
