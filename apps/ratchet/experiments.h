// The experiment subcommands of the ratchet CLI: sweep, plot, table.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ratchet/comm.h"

namespace ratchet::cli {

// Parses a count given on the command line; throws Error "FLAG must be a positive (or
// non-negative) integer, got 'TEXT'".
int64_t ParseCount(const std::string& text, const std::string& flag, bool allow_zero);

// The MPI job of this command (World(), asked for once; main.cc), and whether this is its rank 0
// (true before the job is asked for).
Comm& Job();
bool Lead();

// The whole command line: parses argv and runs the command; returns the exit code. main() is
// this; so is the Python package's `ratchet` command for runs of Python environments, which it
// calls in-process once it has registered them.
int Main(int argc, char** argv);
// Called by `train`, on rank 0, with the run directory it is about to train into (created) and
// the run's environment id, before training starts; null by default. The Python package's
// command writes python_env.json there, so that later commands can make the environment again.
void SetNewRunHook(std::function<void(const std::filesystem::path& dir, const std::string& env)> hook);

class ExperimentCommands {
 public:
  // Registers the subcommands on app.
  explicit ExperimentCommands(CLI::App& app);
  // Runs the chosen subcommand, if it is one of these; throws Error on bad input.
  std::optional<int> Run();

 private:
  int Sweep();
  int Tune();
  int Plot();
  int Table();

  CLI::App *sweep_, *plot_, *table_, *tune_;
  std::string tune_algo_, tune_env_, tune_trials_, tune_seeds_ = "0-2", tune_steps_, tune_jobs_, tune_space_,
      tune_sampler_ = "tpe", tune_seed_ = "0", tune_out_, tune_preset_;
  std::vector<std::string> tune_sets_;
  std::string algos_, envs_, seeds_ = "0-4", steps_, preset_, out_ = "runs", jobs_, shard_;
  std::vector<std::string> sets_;
  std::vector<std::string> plot_dirs_, table_dirs_;
  std::string plot_out_, title_, band_ = "std", metric_ = "train";
  bool show_runs_ = false, csv_ = false;
};

}  // namespace ratchet::cli
