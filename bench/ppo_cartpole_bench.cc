// End-to-end PPO speed on CartPole-v1 with the RL-Zoo tuned setting (configs/ppo.yaml):
// 8 envs, n_steps 32, batch 256, 20 epochs, gamma 0.98, lambda 0.8, lr lin_1e-3, clip lin_0.2,
// ent 0; 100k steps (390 updates of 256 = 99,840 steps). Prints one row per seed and the median.
//   ./build/release/bench/bench_ppo_cartpole [--seeds 5] [--threads 2]
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>

#include "ratchet/train.h"

using namespace ratchet;

int main(int argc, char** argv) {
  int seeds = 5, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seeds")) seeds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
  }
  const auto root = std::filesystem::temp_directory_path() / "ratchet_bench_ppo_cartpole";
  std::vector<double> walls, evals;
  fmt::print("{:>4} {:>9} {:>10} {:>9} {:>11}\n", "seed", "steps", "wall_s", "steps/s", "eval_mean");
  for (int s = 1; s <= seeds; ++s) {
    ResolveOptions o;
    o.algo = "ppo";
    o.env = "CartPole-v1";
    o.seed = s;
    o.sets = {"threads=" + std::to_string(threads), "eval_episodes=20"};
    RunConfig cfg = ResolveRunConfig(o);
    const auto dir = root / std::to_string(s);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const TrainResult r = Train(cfg, dir, {});
    // wall_seconds covers training only (rollouts + updates + csv), not the final evaluation
    walls.push_back(r.wall_seconds);
    evals.push_back(r.eval->mean);
    fmt::print("{:>4} {:>9} {:>10.3f} {:>9.0f} {:>11.1f}\n", s, r.steps, r.wall_seconds,
               r.steps / r.wall_seconds, r.eval->mean);
  }
  std::vector<double> sorted = walls;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  fmt::print("median wall time {:.3f} s over {} seeds (threads {}); eval means min {:.1f}\n", median,
             seeds, threads, *std::min_element(evals.begin(), evals.end()));
  std::filesystem::remove_all(root);
  return 0;
}
