// The environment registry: one plain table of built-ins, no static self-registration, plus the
// environments registered at run time (RegisterEnv, plugins).
#include <cctype>
#include <cmath>
#include <fmt/format.h>
#include <functional>
#include <mutex>

#include "env/kwargs.h"
#include "env/classic/acrobot.h"
#include "env/classic/cartpole.h"
#include "env/classic/cartpole_swingup.h"
#include "env/classic/mountain_car.h"
#include "env/classic/pendulum.h"
#include "env/mujoco/tasks.h"
#include "env/registry_internal.h"
#include "ratchet/env.h"

namespace ratchet {
namespace {

struct Entry {
  const char* id;
  std::function<EnvSpec(const EnvKwargs&)> spec;
  std::function<std::unique_ptr<Env>(const EnvSpec&, const EnvKwargs&)> make;
};

// A classic task takes no keyword arguments.
template <typename MakeSpec, typename Make>
Entry ClassicEntry(const char* id, MakeSpec spec, Make make) {
  return {id, [id, spec](const EnvKwargs& kw) { KwargsReader(kw, id).Finish(); return spec(); },
          [make](const EnvSpec& s, const EnvKwargs&) -> std::unique_ptr<Env> { return make(s); }};
}

// A MuJoCo task builds its own spec (the action bounds and, for v5, the observation size come
// from the compiled model).
Entry MujocoEntry(const char* id, std::unique_ptr<Env> (*make)(const EnvKwargs&)) {
  return {id, [make](const EnvKwargs& kw) { return make(kw)->spec(); },
          [make](const EnvSpec&, const EnvKwargs& kw) { return make(kw); }};
}

const std::vector<Entry>& Table() {
  static const std::vector<Entry> table = {
      ClassicEntry("CartPole-v0", [] { return CartPole::MakeSpec("CartPole-v0", 200, 195.0); },
                   [](const EnvSpec& s) { return std::make_unique<CartPole>(s); }),
      ClassicEntry("CartPole-v1", [] { return CartPole::MakeSpec("CartPole-v1", 500, 475.0); },
                   [](const EnvSpec& s) { return std::make_unique<CartPole>(s); }),
      ClassicEntry("Pendulum-v1", [] { return Pendulum::MakeSpec(); },
                   [](const EnvSpec& s) { return std::make_unique<Pendulum>(s); }),
      ClassicEntry("Acrobot-v1", [] { return Acrobot::MakeSpec(); },
                   [](const EnvSpec& s) { return std::make_unique<Acrobot>(s); }),
      ClassicEntry("MountainCarContinuous-v0", [] { return MountainCarContinuous::MakeSpec(); },
                   [](const EnvSpec& s) { return std::make_unique<MountainCarContinuous>(s); }),
      ClassicEntry("CartPoleSwingUp-v0", [] { return CartPoleSwingUp::MakeSpec("CartPoleSwingUp-v0"); },
                   [](const EnvSpec& s) { return std::make_unique<CartPoleSwingUp>(s, 0); }),
      ClassicEntry("CartPoleSwingUp-v1", [] { return CartPoleSwingUp::MakeSpec("CartPoleSwingUp-v1"); },
                   [](const EnvSpec& s) { return std::make_unique<CartPoleSwingUp>(s, 1); }),
      MujocoEntry("HalfCheetah-v4", MakeHalfCheetah),
      MujocoEntry("Hopper-v4", MakeHopper),
      MujocoEntry("Walker2d-v4", MakeWalker2d),
      MujocoEntry("Ant-v4", MakeAnt),
      MujocoEntry("Humanoid-v4", MakeHumanoid),
      MujocoEntry("Swimmer-v4", MakeSwimmer),
      MujocoEntry("InvertedPendulum-v4", MakeInvertedPendulum),
      MujocoEntry("InvertedDoublePendulum-v4", MakeInvertedDoublePendulum),
      MujocoEntry("Reacher-v4", MakeReacher),
      MujocoEntry("HalfCheetah-v5", MakeHalfCheetahV5),
      MujocoEntry("Hopper-v5", MakeHopperV5),
      MujocoEntry("Walker2d-v5", MakeWalker2dV5),
      MujocoEntry("Ant-v5", MakeAntV5),
      MujocoEntry("Humanoid-v5", MakeHumanoidV5),
      MujocoEntry("Swimmer-v5", MakeSwimmerV5),
      MujocoEntry("InvertedPendulum-v5", MakeInvertedPendulumV5),
      MujocoEntry("InvertedDoublePendulum-v5", MakeInvertedDoublePendulumV5),
      MujocoEntry("Reacher-v5", MakeReacherV5),
  };
  return table;
}

// A runtime registration: its spec is checked and fixed at registration.
struct Runtime {
  std::string id;
  EnvFactory factory;
  EnvSpec spec;
  std::string source, description;
};

std::mutex g_mu;
std::vector<Runtime>& RuntimeTable() {
  static std::vector<Runtime> table;
  return table;
}
// The plugin whose entry point is running (LoadPlugin sets it), recorded as the source.
std::string g_loading_plugin;

const Entry* FindBuiltin(const std::string& id) {
  for (const Entry& e : Table())
    if (id == e.id) return &e;
  return nullptr;
}

// Under g_mu.
const Runtime* FindRuntime(const std::string& id) {
  for (const Runtime& r : RuntimeTable())
    if (r.id == id) return &r;
  return nullptr;
}

[[noreturn]] void Unknown(const std::string& id) {
  std::string known;
  for (const std::string& k : ListEnvs()) known += (known.empty() ? "" : ", ") + k;
  throw Error(fmt::format("unknown environment '{}'; known environments: {} (an environment of your "
                          "own must be registered first: RegisterEnv, or `ratchet --plugin LIB`)",
                          id, known));
}

void CheckSpace(const Space& s, const std::string& id, const char* which) {
  if (s.is_discrete()) {
    if (s.n < 1) throw Error(fmt::format("cannot register '{}': {} space Discrete({}) is empty", id, which, s.n));
    return;
  }
  if (s.low.empty() || s.low.size() != s.high.size())
    throw Error(fmt::format("cannot register '{}': {} space Box has {} low and {} high bounds; they must "
                            "be equal in number and at least one", id, which, s.low.size(), s.high.size()));
  for (size_t i = 0; i < s.low.size(); ++i)
    if (std::isnan(s.low[i]) || std::isnan(s.high[i]) || s.low[i] > s.high[i])
      throw Error(fmt::format("cannot register '{}': {} space bound {} is [{}, {}]; bounds must be ordered "
                              "and not NaN", id, which, i, s.low[i], s.high[i]));
}

}  // namespace

void RegisterEnv(const std::string& id, EnvFactory factory, EnvOptions options) {
  if (id.empty()) throw Error("cannot register an environment with an empty id");
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':' || c == '/'))
      throw Error(fmt::format("cannot register '{}': an id may hold letters, digits and - _ . : / only", id));
  if (!factory) throw Error(fmt::format("cannot register '{}': the factory is empty", id));
  if (options.max_episode_steps < -1)
    throw Error(fmt::format("cannot register '{}': max_episode_steps must be >= 0 (or -1 for the spec's), "
                            "got {}", id, options.max_episode_steps));
  if (options.reward_threshold && !std::isfinite(*options.reward_threshold))
    throw Error(fmt::format("cannot register '{}': reward_threshold must be finite", id));
  if (FindBuiltin(id) != nullptr)
    throw Error(fmt::format("cannot register '{}': a built-in environment has that id", id));
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (const Runtime* r = FindRuntime(id))
      throw Error(fmt::format("cannot register '{}': already registered{}", id,
                              r->source.empty() ? "" : " by plugin '" + r->source + "'"));
  }
  std::unique_ptr<Env> probe;
  try {
    probe = factory();
  } catch (const std::exception& e) {
    throw Error(fmt::format("cannot register '{}': its factory failed: {}", id, e.what()));
  }
  if (!probe) throw Error(fmt::format("cannot register '{}': its factory returned no environment", id));
  EnvSpec spec = probe->spec();
  CheckSpace(spec.observation_space, id, "observation");
  CheckSpace(spec.action_space, id, "action");
  if (spec.observation_space.is_discrete())
    throw Error(fmt::format("cannot register '{}': the observation space must be a Box (one-hot encode a "
                            "Discrete observation)", id));
  if (spec.max_episode_steps < 0)
    throw Error(fmt::format("cannot register '{}': its spec has max_episode_steps {}", id, spec.max_episode_steps));
  spec.id = id;
  if (options.max_episode_steps >= 0) spec.max_episode_steps = options.max_episode_steps;
  if (options.reward_threshold) spec.reward_threshold = options.reward_threshold;
  std::lock_guard<std::mutex> lock(g_mu);
  if (FindRuntime(id) != nullptr) throw Error(fmt::format("cannot register '{}': already registered", id));
  RuntimeTable().push_back({id, std::move(factory), std::move(spec), g_loading_plugin, options.description});
}

bool UnregisterEnv(const std::string& id) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto& t = RuntimeTable();
  for (auto it = t.begin(); it != t.end(); ++it)
    if (it->id == id) {
      t.erase(it);
      return true;
    }
  return false;
}

std::unique_ptr<Env> MakeEnv(const std::string& id, int max_episode_steps, const EnvKwargs& kwargs) {
  if (max_episode_steps < -1) throw Error(fmt::format("max_episode_steps must be -1, 0 or positive, got {}", max_episode_steps));
  if (const Entry* e = FindBuiltin(id)) {
    EnvSpec spec = e->spec(kwargs);
    if (max_episode_steps >= 0) spec.max_episode_steps = max_episode_steps;
    return std::make_unique<TimeLimit>(e->make(spec, kwargs), spec.max_episode_steps);
  }
  if (!kwargs.empty()) {
    std::lock_guard<std::mutex> lock(g_mu);
    if (FindRuntime(id) != nullptr)
      throw Error(fmt::format("{}: an environment registered at run time takes no keyword arguments (got {}); "
                              "register one id per setting", id, FormatEnvKwargs(kwargs)));
  }
  EnvFactory factory;
  EnvSpec spec;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (const Runtime* r = FindRuntime(id)) {
      factory = r->factory;
      spec = r->spec;
    }
  }
  if (!factory) Unknown(id);
  std::unique_ptr<Env> env;
  try {
    env = factory();
  } catch (const std::exception&) {
    throw;
  } catch (...) {
    throw Error(fmt::format("the factory of environment '{}'{} threw something that is not a std::exception", id,
                            EnvSourceOf(id).empty() ? "" : " (plugin " + EnvSourceOf(id) + ")"));
  }
  if (!env) throw Error(fmt::format("the factory of environment '{}' returned no environment", id));
  const EnvSpec& got = env->spec();
  if (got.observation_space.flat_dim() != spec.observation_space.flat_dim() ||
      got.action_space.is_discrete() != spec.action_space.is_discrete() ||
      got.action_space.flat_dim() != spec.action_space.flat_dim() || got.action_space.n != spec.action_space.n)
    throw Error(fmt::format("the factory of environment '{}' built an environment whose spaces differ from "
                            "the ones it had at registration", id));
  if (max_episode_steps >= 0) spec.max_episode_steps = max_episode_steps;
  const int max_steps = spec.max_episode_steps;
  return std::make_unique<TimeLimit>(std::move(env), max_steps, std::move(spec));
}

std::vector<std::string> ListEnvs() {
  std::vector<std::string> ids;
  for (const Entry& e : Table()) ids.emplace_back(e.id);
  std::lock_guard<std::mutex> lock(g_mu);
  for (const Runtime& r : RuntimeTable()) ids.push_back(r.id);
  return ids;
}

EnvSpec EnvSpecOf(const std::string& id, const EnvKwargs& kwargs) {
  if (const Entry* e = FindBuiltin(id)) return e->spec(kwargs);
  if (!kwargs.empty()) MakeEnv(id, -1, kwargs);  // says why (unknown id, or no keyword arguments)
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (const Runtime* r = FindRuntime(id)) return r->spec;
  }
  Unknown(id);
}

std::string EnvSourceOf(const std::string& id) {
  if (FindBuiltin(id) != nullptr) return "";
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (const Runtime* r = FindRuntime(id)) return r->source;
  }
  Unknown(id);
}

std::string EnvDescriptionOf(const std::string& id) {
  if (FindBuiltin(id) != nullptr) return "";
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (const Runtime* r = FindRuntime(id)) return r->description;
  }
  Unknown(id);
}

namespace internal {

size_t RuntimeEnvCount() {
  std::lock_guard<std::mutex> lock(g_mu);
  return RuntimeTable().size();
}
void SetLoadingPlugin(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_loading_plugin = path;
}
void DropRuntimeEnvsFrom(size_t mark) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto& t = RuntimeTable();
  if (t.size() > mark) t.erase(t.begin() + static_cast<ptrdiff_t>(mark), t.end());
}

}  // namespace internal

}  // namespace ratchet
