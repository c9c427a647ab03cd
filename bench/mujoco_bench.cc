// MuJoCo stepping speed per task: raw physics (mj_step x frame_skip on the bare model, one core)
// against the environment's Step (one env, one core), and VectorEnv throughput with N copies on
// 1 and 2 threads.  Actions are uniform in the bounds; episodes reset as they end.
//   ./build/release/bench/bench_mujoco [--steps 20000] [--copies 8] [--repeats 3] [--env ID]
#include <mujoco/mujoco.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fmt/format.h>

#include "env/mujoco/mujoco_env.h"
#include "ratchet/env.h"

using namespace ratchet;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 20000, copies = 8, repeats = 3;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--copies")) copies = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--env")) only = argv[i + 1];
  }
  fmt::print("| task | raw physics steps/s | env steps/s (1 env) | env overhead | VectorEnv N={} 1 thread | 2 threads | speed-up |\n", copies);
  fmt::print("|---|---|---|---|---|---|---|\n");
  for (const std::string& id : ListEnvs()) {
    if (!id.ends_with("-v4") || (!only.empty() && id != only)) continue;
    auto env = MakeEnv(id);
    const EnvSpec spec = env->spec();
    const int od = spec.observation_space.flat_dim(), ad = spec.action_space.flat_dim();
    Rng rng(1);
    std::vector<float> actions(static_cast<size_t>(steps) * ad);
    for (size_t k = 0; k < actions.size(); ++k) {
      const int d = static_cast<int>(k % ad);
      actions[k] = static_cast<float>(rng.Uniform(spec.action_space.low[d], spec.action_space.high[d]));
    }
    // raw physics: the same model and frame skip, no observation, reward or reset logic
    auto& task = dynamic_cast<TimeLimit&>(*env).inner();
    std::vector<float> obs(od);
    env->Reset(1, obs);
    const MujocoSim& sim = static_cast<const MujocoEnv&>(task).sim();
    std::vector<double> raw, one, vec1, vec2;
    for (int rep = 0; rep < repeats; ++rep) {
      {
        MjDataPtr d(mj_makeData(sim.model()));
        const auto t0 = Clock::now();
        for (int s = 0; s < steps; ++s) {
          for (int i = 0; i < ad; ++i) d->ctrl[i] = actions[static_cast<size_t>(s) * ad + i];
          for (int k = 0; k < sim.frame_skip(); ++k) mj_step(sim.model(), d.get());
          if (s % 1000 == 999) mj_resetData(sim.model(), d.get());
        }
        raw.push_back(steps / Seconds(t0));
      }
      {
        env->Reset(1, obs);
        const auto t0 = Clock::now();
        for (int s = 0; s < steps; ++s) {
          const StepResult r = env->Step({actions.data() + static_cast<size_t>(s) * ad, static_cast<size_t>(ad)}, obs);
          if (r.terminated || r.truncated) env->Reset(obs);
        }
        one.push_back(steps / Seconds(t0));
      }
      for (int threads : {1, 2}) {
        ThreadPool pool(threads);
        VectorEnv venv(id, copies, &pool);
        venv.set_threading(VectorEnv::Threading::kAlways);
        std::vector<float> vobs(static_cast<size_t>(copies) * od), rew(copies), acts(static_cast<size_t>(copies) * ad);
        std::vector<uint8_t> term(copies), trunc(copies);
        venv.Reset(1, vobs);
        const int rounds = std::max(1, steps / copies);
        const auto t0 = Clock::now();
        for (int s = 0; s < rounds; ++s) {
          for (size_t k = 0; k < acts.size(); ++k) acts[k] = actions[(static_cast<size_t>(s) * acts.size() + k) % actions.size()];
          venv.Step(acts, vobs, rew, term, trunc);
        }
        (threads == 1 ? vec1 : vec2).push_back(static_cast<double>(rounds) * copies / Seconds(t0));
      }
    }
    const double r = Median(raw), o = Median(one), v1 = Median(vec1), v2 = Median(vec2);
    fmt::print("| {} | {:.0f} | {:.0f} | {:+.1f}% | {:.0f} | {:.0f} | {:.2f}x |\n", id, r, o, 100.0 * (r / o - 1.0), v1, v2, v2 / v1);
    std::fflush(stdout);
  }
  return 0;
}
