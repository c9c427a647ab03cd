// The learner against the hardware: one core's single-precision FMA peak at the build's ISA level
// (a register-blocked loop of independent fused multiply-adds), and the floating-point rate the
// PPO learner achieves in real training runs, as a fraction of that peak.
//   ./build/release/bench/bench_learner_flops [--repeats 3]
//
// Counted work: every minibatch sample of every epoch goes forward and backward through the
// policy and the value network: 2 FLOP per weight forward, 2 per weight for the weight gradient
// and 2 per weight for the input gradient (none for the first layer's input). Activations, the
// loss, the Adam step, the advantage computation and the rollout's own forward passes are not
// counted, so the rate is a lower bound; the time divided into it is the whole update time
// (TrainResult::update_seconds, one thread).
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "ratchet/log.h"
#include "ratchet/train.h"

using namespace ratchet;

namespace {

using Clock = std::chrono::steady_clock;

#ifdef __FMA__
// 12 independent chains of 8-wide FMAs: enough to cover the FMA latency (4 cycles) on two ports.
__attribute__((noinline)) float FmaLoop(int64_t iterations, float seed) {
  constexpr int kChains = 12;
  __m256 acc[kChains];
  for (int k = 0; k < kChains; ++k) acc[k] = _mm256_set1_ps(seed + 0.001f * k);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
  for (int64_t i = 0; i < iterations; ++i)
    for (int k = 0; k < kChains; ++k) acc[k] = _mm256_fmadd_ps(acc[k], a, b);
  __m256 s = acc[0];
  for (int k = 1; k < kChains; ++k) s = _mm256_add_ps(s, acc[k]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}
constexpr double kFlopPerIteration = 12 * 8 * 2;
#endif

// Best of `repeats` runs of ~0.5 s each, in GFLOP/s (0 when the build has no FMA).
double FmaPeakGflops(int repeats) {
#ifdef __FMA__
  const int64_t iterations = 200'000'000;
  double best = 0;
  volatile float sink = 0;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    sink = sink + FmaLoop(iterations, 1.0f + r);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::max(best, kFlopPerIteration * iterations / s / 1e9);
  }
  return best;
#else
  (void)repeats;
  return 0;
#endif
}

// FLOPs of one sample forward and backward through an MLP in -> hidden... -> out.
double MlpTrainFlops(int in, const std::vector<int>& hidden, int out) {
  std::vector<int> widths = {in};
  widths.insert(widths.end(), hidden.begin(), hidden.end());
  widths.push_back(out);
  double flops = 0;
  for (size_t l = 0; l + 1 < widths.size(); ++l) {
    const double weights = static_cast<double>(widths[l]) * widths[l + 1];
    flops += 2 * weights + 2 * weights + (l > 0 ? 2 * weights : 0);
  }
  return flops;
}

// Sum of the `epochs` column of progress.csv (epochs actually run, early stops included).
double EpochsRun(const std::filesystem::path& csv) {
  double total = 0;
  for (double e : ratchet::ReadProgress(csv).Column("epochs"))
    if (!std::isnan(e)) total += e;
  return total;
}

struct Case {
  const char* name;
  const char* env;
  std::vector<std::string> sets;
};

}  // namespace

int main(int argc, char** argv) {
  int repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2)
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
  const double peak = FmaPeakGflops(5);
  fmt::print("FMA peak, one core, 8-wide fp32 FMA: {:.1f} GFLOP/s\n\n", peak);
  const std::vector<Case> cases = {
      {"PPO CartPole-v1, RL Zoo preset (64x64 tanh, minibatch 256), 100k steps", "CartPole-v1", {}},
      {"PPO HalfCheetah-v4, PPO paper (64x64 tanh, 2048 x 1, minibatch 64), 20480 steps",
       "HalfCheetah-v4",
       {"net_arch=[64,64]", "activation=tanh", "n_steps=2048", "n_envs=1", "batch_size=64", "n_epochs=10",
        "n_timesteps=20480"}},
      {"PPO HalfCheetah-v4, preset (256x256 relu, minibatch 64), 20480 steps", "HalfCheetah-v4",
       {"n_timesteps=20480"}},
      {"PPO HalfCheetah-v4, 256x256 relu, minibatch 512, 20480 steps", "HalfCheetah-v4",
       {"n_timesteps=20480", "n_steps=2048", "batch_size=512"}}};
  const auto root = std::filesystem::temp_directory_path() / "ratchet_bench_learner_flops";
  fmt::print("| workload | GFLOP counted | update s (median of {}) | GFLOP/s | of peak |\n|---|---|---|---|---|\n",
             repeats);
  for (const Case& c : cases) {
    std::vector<double> seconds;
    double gflop = 0;
    for (int r = 0; r < repeats; ++r) {
      ResolveOptions o;
      o.algo = "ppo";
      o.env = c.env;
      o.seed = 1;
      o.sets = c.sets;
      o.sets.insert(o.sets.end(), {"threads=1", "eval_episodes=0", "checkpoint_every=0", "checkpoint_minutes=0"});
      RunConfig cfg = ResolveRunConfig(o);
      const auto dir = root / std::to_string(r);
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
      const TrainResult res = Train(cfg, dir, {});
      const EnvSpec spec = EnvSpecOf(c.env);
      const int obs = spec.observation_space.flat_dim();
      const int act = spec.action_space.is_discrete() ? spec.action_space.n : spec.action_space.flat_dim();
      const auto& hidden = cfg.train.net.hidden;
      const double per_sample = MlpTrainFlops(obs, hidden, act) + MlpTrainFlops(obs, hidden, 1);
      const double samples = EpochsRun(dir / "progress.csv") * cfg.train.n_steps * cfg.train.n_envs;
      gflop = per_sample * samples / 1e9;
      seconds.push_back(res.update_seconds);
    }
    std::sort(seconds.begin(), seconds.end());
    const double s = seconds[seconds.size() / 2];
    fmt::print("| {} | {:.1f} | {:.2f} | {:.1f} | {:.0f}% |\n", c.name, gflop, s, gflop / s,
               peak > 0 ? 100 * gflop / s / peak : 0.0);
  }
  std::filesystem::remove_all(root);
  return 0;
}
