// Experiments on a user's environment through Ratchet's library: a sweep over seeds (resumable:
// run it again and finished runs are skipped), its table, and a short hyperparameter search. Every
// run is a child process of this program, which serves it (ratchet::ServeRun) with the
// environment registered.
//   usage: custom_env_sweep [OUT_DIR]
#include <ratchet/ratchet.h>

#include <iostream>

#include "point_mass.h"

int main(int argc, char** argv) try {
  ratchet::RegisterEnv("PointMass-v0", [] { return std::make_unique<PointMass>(); },
                       {.max_episode_steps = 100, .reward_threshold = -15.0});
  // a run of the sweep or the search: train it and end here
  if (const std::optional<int> code = ratchet::ServeRun(argc, argv)) return *code;
  const std::filesystem::path out = argc > 1 ? argv[1] : "runs/point-mass";

  ratchet::SweepOptions sweep;
  sweep.algos = {"ppo"};
  sweep.envs = {"PointMass-v0"};
  sweep.seeds = ratchet::ParseSeedList("1-2");
  sweep.steps = 20'000;
  sweep.sets = {"n_envs=8", "n_steps=128", "batch_size=256", "learning_rate=1e-3"};
  sweep.out = out / "sweep";
  if (const int code = ratchet::RunSweep(sweep, {.jobs = 2}); code != 0) return code;
  std::cout << ratchet::SummaryTable(ratchet::ReadRuns({sweep.out.string()}));

  ratchet::TuneOptions tune;
  tune.algo = "ppo";
  tune.env = "PointMass-v0";
  tune.seeds = {100};
  tune.trials = 2;
  tune.steps = 8'000;
  tune.space_yaml = "learning_rate: {log_uniform: [1.0e-4, 3.0e-3]}\n";
  tune.space_source = "sweep.cc";
  tune.sets = {"n_envs=8", "n_steps=128", "batch_size=256"};
  tune.out = out / "tune";
  return ratchet::RunTune(tune, {.jobs = 2});
} catch (const ratchet::Error& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 2;
}
