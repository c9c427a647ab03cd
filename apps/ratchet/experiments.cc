// The experiment commands: sweep, tune, plot, table (their arguments; the work is the library's).
#include "commands.h"

#include <cmath>
#include <fmt/format.h>
#include <iostream>

#include "ratchet/core.h"
#include "ratchet/experiment.h"
#include "ratchet/viz.h"

namespace ratchet::cli {

namespace fs = std::filesystem;

namespace {

struct SweepArgs {
  std::string algos, envs, seeds = "0-4", steps, preset, out = "runs", jobs, shard;
  std::vector<std::string> sets;
};

struct TuneArgs {
  std::string algo, env, trials, seeds = "0-2", steps, jobs, space, sampler = "tpe", seed = "0", out, preset;
  std::vector<std::string> sets;
};

struct PlotArgs {
  std::vector<std::string> dirs;
  std::string out, title, band = "std", metric = "train";
  bool show_runs = false;
};

struct TableArgs {
  std::vector<std::string> dirs;
  bool csv = false;
};

// "I/K" -> {I, K}; throws Error unless 0 <= I < K.
std::pair<int, int> ParseShard(const std::string& text) {
  const size_t slash = text.find('/');
  int64_t i = -1, k = -1;
  if (slash != std::string::npos) {
    try {
      i = ParseCount(text.substr(0, slash), "--shard", true);
      k = ParseCount(text.substr(slash + 1), "--shard", false);
    } catch (const Error&) {
      i = k = -1;
    }
  }
  if (i < 0 || k < 1 || i >= k || k > 1000000)
    throw Error(fmt::format("--shard expects I/K with 0 <= I < K (shard I of K, e.g. 0/4), got '{}'", text));
  return {static_cast<int>(i), static_cast<int>(k)};
}

int ParseJobs(const std::string& text) {
  if (text.empty()) return 0;
  const int64_t j = ParseCount(text, "--jobs", false);
  if (j > 256) throw Error(fmt::format("--jobs must be at most 256, got {}", j));
  return static_cast<int>(j);
}

int Sweep(const SweepArgs& a) {
  SweepOptions opt;
  RunnerOptions runner;
  runner.comm = &Job();
  // the arguments are the same on every rank of an MPI job: each parses them alike
  opt.algos = ParseNameList(a.algos, "--algo");
  opt.envs = ParseNameList(a.envs, "--env");
  opt.seeds = ParseSeedList(a.seeds);
  if (!a.steps.empty()) opt.steps = ParseCount(a.steps, "--steps", false);
  runner.jobs = ParseJobs(a.jobs);
  if (!a.shard.empty()) opt.shard = ParseShard(a.shard);
  opt.sets = a.sets;
  opt.preset_path = a.preset;
  opt.out = a.out;
  return RunSweep(opt, runner);
}

int Tune(const TuneArgs& a) {
  TuneOptions opt;
  RunnerOptions runner;
  opt.algo = a.algo;
  opt.env = a.env;
  opt.seeds = ParseSeedList(a.seeds);
  opt.trials = ParseCount(a.trials, "--trials", false);
  if (opt.trials > 100000) throw Error(fmt::format("--trials must be at most 100000, got {}", opt.trials));
  opt.steps = ParseCount(a.steps, "--steps", false);
  runner.jobs = ParseJobs(a.jobs);
  opt.sampler_seed = static_cast<uint64_t>(ParseCount(a.seed, "--seed", true));
  opt.sampler = a.sampler;
  if (!a.space.empty()) {
    opt.space_yaml = ReadTextFile(a.space, "search space");
    opt.space_source = a.space;
  }
  opt.sets = a.sets;
  opt.preset_path = a.preset;
  opt.out = a.out;
  return RunTune(opt, runner);
}

int Plot(const PlotArgs& a) {
  std::vector<Curve> curves;
  const bool eval = a.metric == "eval";
  const std::vector<RunRecord> runs = ReadRuns(a.dirs);
  std::vector<std::string> unfinished;
  for (const RunRecord& r : runs) {
    if (!r.finished) unfinished.push_back(r.dir.string());
    const auto& xs = eval ? r.eval_steps : r.steps;
    if (xs.empty()) {
      std::cerr << fmt::format("ratchet: warning: {} has {} yet; left out\n", r.dir.string(),
                               eval ? "no periodic evaluation" : "no finished episodes");
      continue;
    }
    curves.push_back({r.label, r.env, xs, eval ? r.eval_returns : r.returns});
  }
  PlotOptions po;
  po.title = a.title;
  po.y_label = eval ? "deterministic evaluation return" : "return (mean of last 100 training episodes)";
  po.band = a.band == "ci" ? Band::kBootstrapCi : Band::kStd;
  po.show_runs = a.show_runs;
  PlotLearningCurves(curves, po, a.out);
  std::cout << fmt::format("wrote {} ({} runs{})\n", a.out, curves.size(),
                           unfinished.empty() ? std::string()
                                              : fmt::format("; unfinished, plotted as far as they got: {}",
                                                            fmt::join(unfinished, ", ")));
  return 0;
}

int Table(const TableArgs& a) {
  const std::vector<RunRecord> runs = ReadRuns(a.dirs);
  if (a.csv) {
    std::cout << PerRunCsv(runs);
    return 0;
  }
  std::cout << SummaryTable(runs) << "\n" << ProtocolNote();
  return 0;
}

}  // namespace

void AddExperimentCommands(CLI::App& app, std::vector<Command>& out) {
  {
    auto a = std::make_shared<SweepArgs>();
    CLI::App* sub = app.add_subcommand("sweep", "train a grid of algorithms x envs x seeds, one process per run; "
                                       "skips finished runs and resumes unfinished ones");
    sub->add_option("--algo", a->algos, "algorithms, comma-separated (ppo,a2c)")->required();
    sub->add_option("--env", a->envs, "environment ids, comma-separated")->required();
    sub->add_option("--seeds", a->seeds, "seeds: 0-9, 1,3,5 or 0-4,10")->capture_default_str();
    sub->add_option("--steps", a->steps, "total environment steps per run (default: the preset's)");
    sub->add_option("--jobs,-j", a->jobs, "runs at a time (default: the number of cores; under mpirun one per rank)");
    sub->add_option("--shard", a->shard, "only shard I of K (I/K, 0 <= I < K): runs whose index in the grid is I mod K, "
                                       "for job arrays (Slurm); the same skip and resume rules");
    sub->add_option("--out", a->out, "directory of the run directories")->capture_default_str();
    sub->add_option("--set", a->sets, "override a config key for every run: --set key=value (repeatable)");
    sub->add_option("--config", a->preset, "preset YAML file (default: the built-in configs/<algo>.yaml)");
    out.push_back({sub, [a] { return Sweep(*a); }});
  }
  {
    auto a = std::make_shared<TuneArgs>();
    CLI::App* sub = app.add_subcommand("tune", "search hyperparameters: trials from a search space (TPE or random), each "
                                       "trained on the tuning seeds, scored by the mean periodic evaluation, pruned "
                                       "below the median; resumable");
    sub->add_option("--algo", a->algo, "algorithm")->required();
    sub->add_option("--env", a->env, "environment id")->required();
    sub->add_option("--trials", a->trials, "number of trials")->required();
    sub->add_option("--seeds", a->seeds, "tuning seeds of every trial: 0-2, 100,101")->capture_default_str();
    sub->add_option("--steps", a->steps, "environment steps per run")->required();
    sub->add_option("--jobs,-j", a->jobs, "runs at a time (default: the number of cores)");
    sub->add_option("--space", a->space, "search space YAML (default: the built-in configs/tune/<algo>.yaml)");
    sub->add_option("--sampler", a->sampler, "tpe or random")->capture_default_str();
    sub->add_option("--seed", a->seed, "the sampler's seed")->capture_default_str();
    sub->add_option("--set", a->sets, "fixed override for every trial: --set key=value (repeatable)");
    sub->add_option("--config", a->preset, "preset YAML file the trials start from");
    sub->add_option("--out", a->out, "session directory (trials, tables, best.yaml; a rerun resumes it)")->required();
    out.push_back({sub, [a] { return Tune(*a); }});
  }
  {
    auto a = std::make_shared<PlotArgs>();
    CLI::App* sub = app.add_subcommand("plot", "draw learning curves of runs: mean and band per algorithm, a panel per env");
    sub->add_option("runs", a->dirs, "run directories, or directories holding them")->required();
    sub->add_option("-o,--output", a->out, "output file: .png or .svg")->required();
    sub->add_option("--band", a->band, "shaded band: std (mean +- sample std) or ci (95% bootstrap CI)")
        ->check(CLI::IsMember({"std", "ci"}))
        ->capture_default_str();
    sub->add_flag("--runs", a->show_runs, "also draw every run");
    sub->add_option("--title", a->title, "figure title");
    sub->add_option("--metric", a->metric,
                    "train: the mean return of the last 100 training episodes; eval: the periodic deterministic "
                    "evaluations (eval_every)")
        ->check(CLI::IsMember({"train", "eval"}))
        ->capture_default_str();
    out.push_back({sub, [a] { return Plot(*a); }});
  }
  {
    auto a = std::make_shared<TableArgs>();
    CLI::App* sub = app.add_subcommand("table", "print a Markdown table of final returns: algo x env, mean +- std over seeds");
    sub->add_option("runs", a->dirs, "run directories, or directories holding them")->required();
    sub->add_flag("--csv", a->csv, "one CSV row per run instead (label, algo, env, seed, steps, returns, wall time)");
    out.push_back({sub, [a] { return Table(*a); }});
  }
}

}  // namespace ratchet::cli
