// Ratchet experiments: grids of runs (ratchet sweep), reading run directories back, and
// summarising them (ratchet table, ratchet plot).
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ratchet/train.h"

namespace ratchet {

//---------------------------------- Sweeps ----------------------------------------------------

// "0-9", "1,3,5", "0-4,10" -> the seeds in order, without repeats. Throws Error naming a bad
// item, a reversed range or more than 10000 seeds.
std::vector<int64_t> ParseSeedList(const std::string& text);
// "ppo,a2c" -> {"ppo", "a2c"}; throws Error for an empty item.
std::vector<std::string> ParseNameList(const std::string& text, const char* what);

struct SweepOptions {
  std::vector<std::string> algos, envs;
  std::vector<int64_t> seeds;
  std::optional<int64_t> steps;
  std::vector<std::string> sets;  // --set overrides for every run
  std::string preset_path;
  std::filesystem::path out = "runs";
};

struct SweepRun {
  enum class State {
    kNew,      // nothing there yet: train
    kRestart,  // started but no checkpoint yet: start again (same seed, same result)
    kResume,   // has a checkpoint: resume it
    kDone,     // finished: skip
    kConflict  // holds a run with a different configuration (steps included): left alone
  };
  RunConfig cfg;
  std::filesystem::path dir;  // out/<label or algo>-<env>-s<seed>
  State state = State::kNew;
  std::string why;            // for kConflict: the first differing key
};

// Resolves every run of the grid (algos x envs x seeds; throws Error on the first bad one, before
// anything runs) and inspects its directory. Runs are ordered seed-major, so a partial sweep
// covers every algorithm and env evenly.
std::vector<SweepRun> PlanSweep(const SweepOptions& opt);
const char* StateName(SweepRun::State s);

//---------------------------------- Reading runs ----------------------------------------------

struct RunRecord {
  std::filesystem::path dir;
  std::string algo, env;
  std::string label;                   // the config's label, else algo: what tables and plots group by
  int64_t seed = 0;
  int64_t target_steps = 0;            // n_timesteps of the config
  std::vector<double> steps, returns;  // progress rows with a defined ep_return_mean
  std::vector<double> eval_steps, eval_returns;  // rows with a periodic evaluation (eval_return_mean)
  int64_t last_steps = 0;              // steps of the last progress row
  double wall_seconds = 0.0;           // wall time of the last progress row
  bool finished = false;               // model.bin written
  std::optional<double> eval_mean;     // eval.json, deterministic evaluation at the end
  std::optional<double> eval_stochastic_mean;  // eval.json, the same episodes with sampled actions
  // "key: value" of every setting that changes results (not the seed, threads, checkpoints, ...)
  std::vector<std::pair<std::string, std::string>> settings;

  // The run's final return: its evaluation when it has one, else the last logged mean of the
  // last 100 training episodes (NaN when there is none).
  double FinalReturn() const;
  // The last logged mean return of the last 100 training episodes, and the best periodic
  // evaluation (NaN when there is none).
  double LastTrainReturn() const { return returns.empty() ? NAN : returns.back(); }
  double BestEval() const;
};

// A directory holding config.yaml is a run; any other directory is searched (recursively) for
// runs. Returns them sorted by path. Throws Error for a path that does not exist or holds none.
std::vector<std::filesystem::path> FindRuns(const std::vector<std::string>& paths);
// Every run under `paths` (FindRuns + ReadRun), grouped by configuration: runs that share a label
// and env but differ in other settings get those settings in their label ("ppo (n_steps=64)"), so
// tables and plots never merge different configurations. Throws Error when one configuration
// holds the same seed twice (a retrain into "...-s1-2", say), naming both directories: a seed is
// never counted twice.
std::vector<RunRecord> ReadRuns(const std::vector<std::string>& paths);
// Reads config.yaml, progress.csv and eval.json (when present); throws Error naming the problem.
RunRecord ReadRun(const std::filesystem::path& dir);

// A Markdown table, one row per (label, env) in first-seen order: seeds, steps, and as mean +-
// sample std over seeds the final return, the stochastic evaluation, the last-100-episode training
// return and the best periodic evaluation (the columns published results use: RL Zoo reports the
// deterministic evaluation, CleanRL the training return, Tianshou the best of the evaluations),
// then mean steps/s. ProtocolNote() says so under it.
std::string SummaryTable(const std::vector<RunRecord>& runs);
std::string ProtocolNote();
// One CSV row per run: label, algo, env, seed, steps, final_return, eval_return (empty when
// none), last_train_return, wall_seconds, stochastic_eval_return, best_eval_return.
std::string PerRunCsv(const std::vector<RunRecord>& runs);

}  // namespace ratchet
