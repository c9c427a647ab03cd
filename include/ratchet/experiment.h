// Ratchet experiments: grids of runs (ratchet sweep), hyperparameter searches (ratchet tune),
// reading run directories back, and summarising them (ratchet table, ratchet plot).
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "ratchet/train.h"

namespace ratchet {

//---------------------------------- Sweeps ----------------------------------------------------

// "0-9", "1,3,5", "0-4,10" -> the seeds in order, without repeats. Throws Error naming a bad
// item, a reversed range or more than 10000 seeds.
std::vector<int64_t> ParseSeedList(const std::string& text);
// The inverse: {0, 1, 2, 5} -> "0-2,5".
std::string FormatSeedList(const std::vector<int64_t>& seeds);
// "ppo,a2c" -> {"ppo", "a2c"}; throws Error for an empty item.
std::vector<std::string> ParseNameList(const std::string& text, const char* what);

struct SweepOptions {
  std::vector<std::string> algos, envs;
  std::vector<int64_t> seeds;
  std::optional<int64_t> steps;
  std::vector<std::string> sets;  // --set overrides for every run
  std::string preset_path;
  std::filesystem::path out = "runs";
  // only shard `first` of `second` (0 <= first < second): the runs whose index in the grid is
  // first mod second, for job arrays; the same skip and resume rules
  std::optional<std::pair<int, int>> shard;
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

//---------------------------------- Running experiments ---------------------------------------
//
// A sweep or tuning session runs each run as a child process of its own, started as
//   COMMAND [--plugin P]... train --algo A --env E --seed S --run-dir DIR --quiet [--steps N]
//           [--config FILE] [--set key=value]...
//   COMMAND [--plugin P]... resume DIR --quiet
// (the ratchet command's syntax, with the plugins this process loaded). Each run's log begins with
// that line, so any run can be repeated by hand.

struct RunnerOptions {
  // COMMAND above. Empty: the program SetRunCommand chose (the ratchet executable chooses itself;
  // so does ServeRun), else $RATCHET_CLI; with neither, RunSweep and RunTune throw Error.
  std::vector<std::string> command;
  int jobs = 0;                    // runs at once; 0: one per hardware thread
  Comm* comm = nullptr;            // an MPI job (every rank calls): rank 0 plans and hands runs out, one
                                   // per rank at a time (jobs must be 0); null: this process alone
  std::ostream* out = &std::cout;  // a line per run started and finished, and a summary
  std::ostream* err = &std::cerr;  // warnings
};

// The program of the runs of every experiment of this process that does not name one.
void SetRunCommand(std::vector<std::string> command);

// Serves a run in a program of your own, so that its sweeps and tuning sessions can train the
// environments it registers: call it at the start of main(), after registering them,
//   if (const std::optional<int> code = ratchet::ServeRun(argc, argv)) return *code;
// When argv is a run's command line (above, COMMAND being this program) it trains or resumes that
// run, printing one summary line, and returns the exit code (0; 2 for bad input, with the reason on
// stderr; 128 + the signal when SIGINT or SIGTERM stopped it with a checkpoint). Otherwise it
// returns nothing, having made this program the run command (SetRunCommand).
std::optional<int> ServeRun(int argc, char** argv);

// Runs a sweep: new runs trained, runs stopped with a checkpoint resumed, runs stopped before one
// started again, finished ones skipped, and directories holding another configuration left alone
// (a warning each). SIGINT or SIGTERM during it (its handlers replace the caller's for the call)
// reaches every run, which writes a checkpoint; no new run starts. Returns what `ratchet sweep`
// exits with: 0; 1 when a run failed; 2 when every run conflicts; 128 + the signal when stopped.
// Throws Error for a bad grid or runner before anything runs.
int RunSweep(const SweepOptions& opt, const RunnerOptions& runner = {});

// A hyperparameter search (tune.h: spaces, samplers, the session files).
struct TuneOptions {
  std::string algo, env;
  std::vector<int64_t> seeds = {0, 1, 2};  // every trial trains on each
  int64_t trials = 0;                      // how many trials the session holds when done
  int64_t steps = 0;                       // environment steps of each run
  // the search space's YAML and where it came from; empty: configs/tune/<algo>.yaml
  std::string space_yaml, space_source;
  std::string sampler = "tpe";             // tpe or random
  uint64_t sampler_seed = 0;
  std::vector<std::string> sets;           // fixed key=value settings of every trial
  std::string preset_path;                 // the preset file the trials start from (empty: built-in)
  std::filesystem::path out;               // the session directory
};

// Runs (or resumes, when `out` holds the same session) a tuning session: trials proposed by the
// sampler from the finished ones, each trained on every seed with ten periodic evaluations (five
// episodes) and scored by their mean, pruned below the median of the trials before it. Writes
// trials.yaml, trials.md, trials.csv and best.yaml (the best trial as a preset entry) after each
// trial. A session is reproducible for a given jobs: trial t sees exactly the trials numbered
// t - P or lower (P trials run at once). Returns 0, or 128 + the signal when stopped (the trials
// running start again when resumed); throws Error for a bad space or setting before any trial.
int RunTune(const TuneOptions& opt, const RunnerOptions& runner = {});

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
