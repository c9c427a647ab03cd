// Steps-to-threshold and wall time of every algorithm on CartPole-v1 and Pendulum-v1, median
// over seeds, each run with its preset (configs/<algo>.yaml) and a step budget per env.
//   ./build/release/bench/bench_algorithms [--seeds 5] [--algos ppo,trpo] [--envs CartPole-v1]
// steps-to-threshold: environment steps at the first update whose mean return over the last 100
// training episodes reaches the threshold (CartPole-v1: 475; Pendulum-v1: -250), or "-" if never.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "ratchet/log.h"
#include "ratchet/train.h"

using namespace ratchet;

namespace {

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

// Steps at the first progress.csv row whose ep_return_mean >= threshold; -1 if none.
int64_t StepsToThreshold(const std::filesystem::path& csv, double threshold) {
  const ratchet::ProgressTable t = ratchet::ReadProgress(csv);
  const std::vector<double> steps = t.Column("steps"), ret = t.Column("ep_return_mean");
  for (size_t k = 0; k < t.rows.size(); ++k)
    if (!std::isnan(ret[k]) && ret[k] >= threshold) return static_cast<int64_t>(steps[k]);
  return -1;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? NAN : (v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]));
}

}  // namespace

int main(int argc, char** argv) {
  int seeds = 5;
  std::vector<std::string> algos;
  for (const AlgoEntry& a : Algorithms()) algos.push_back(a.name);
  std::vector<std::string> envs = {"CartPole-v1", "Pendulum-v1"};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seeds")) seeds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--algos")) algos = Split(argv[i + 1]);
    if (!std::strcmp(argv[i], "--envs")) envs = Split(argv[i + 1]);
  }
  const auto root = std::filesystem::temp_directory_path() / "ratchet_bench_algorithms";
  fmt::print("| env | algo | budget | solved | median steps to threshold | median wall s | median final eval |\n");
  fmt::print("|---|---|---|---|---|---|---|\n");
  for (const std::string& env : envs) {
    const double threshold = env == "Pendulum-v1" ? -250.0 : *EnvSpecOf(env).reward_threshold;
    for (const std::string& algo : algos) {
      std::vector<double> steps, walls, evals;
      int solved = 0;
      int64_t budget = 0;
      for (int s = 1; s <= seeds; ++s) {
        ResolveOptions o;
        o.algo = algo;
        o.env = env;
        o.seed = s;
        o.sets = {"eval_episodes=20"};
        // CartPole: the budgets; Pendulum: 200k steps for every algorithm
        if (env == "Pendulum-v1") o.steps = 200000;
        RunConfig cfg = ResolveRunConfig(o);
        budget = cfg.train.n_timesteps;
        const auto dir = root / fmt::format("{}-{}-{}", algo, env, s);
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        const TrainResult r = Train(cfg, dir, {});
        const int64_t st = StepsToThreshold(dir / "progress.csv", threshold);
        if (st >= 0) {
          ++solved;
          steps.push_back(static_cast<double>(st));
        }
        walls.push_back(r.wall_seconds);
        evals.push_back(r.eval->mean);
      }
      fmt::print("| {} | {} | {} | {}/{} | {} | {:.2f} | {:.1f} |\n", env, algo, budget, solved, seeds,
                 steps.empty() ? std::string("-") : fmt::format("{:.0f}", Median(steps)), Median(walls),
                 Median(evals));
      std::fflush(stdout);
    }
  }
  std::filesystem::remove_all(root);
  return 0;
}
