// The experiment commands' options, and ratchet plot / table (sweep.cc: ratchet sweep).
#include "experiments.h"

#include <cmath>
#include <fmt/format.h>
#include <iostream>

#include "ratchet/experiment.h"
#include "ratchet/viz.h"

namespace ratchet::cli {

namespace fs = std::filesystem;

int64_t ParseCount(const std::string& text, const std::string& flag, bool allow_zero) {
  // the config's own integer reading, so that --steps 1e5 means what n_timesteps=1e5 means
  int64_t v = -1;
  try {
    ConfigValue<int64_t>::Parse(flag, text, &v);
  } catch (const Error&) {
    v = -1;
  }
  if (v < (allow_zero ? 0 : 1))
    throw Error(fmt::format("{} must be a {} integer, got '{}'", flag,
                            allow_zero ? "non-negative" : "positive", text));
  return v;
}

ExperimentCommands::ExperimentCommands(CLI::App& app) {
  sweep_ = app.add_subcommand("sweep", "train a grid of algorithms x envs x seeds, one process per run; "
                                       "skips finished runs and resumes unfinished ones");
  sweep_->add_option("--algo", algos_, "algorithms, comma-separated (ppo,a2c)")->required();
  sweep_->add_option("--env", envs_, "environment ids, comma-separated")->required();
  sweep_->add_option("--seeds", seeds_, "seeds: 0-9, 1,3,5 or 0-4,10")->capture_default_str();
  sweep_->add_option("--steps", steps_, "total environment steps per run (default: the preset's)");
  sweep_->add_option("--jobs,-j", jobs_, "runs at a time (default: the number of cores; under mpirun one per rank)");
  sweep_->add_option("--shard", shard_, "only shard I of K (I/K, 0 <= I < K): runs whose index in the grid is I mod K, "
                                        "for job arrays (Slurm); the same skip and resume rules");
  sweep_->add_option("--out", out_, "directory of the run directories")->capture_default_str();
  sweep_->add_option("--set", sets_, "override a config key for every run: --set key=value (repeatable)");
  sweep_->add_option("--config", preset_, "preset YAML file (default: the built-in configs/<algo>.yaml)");

  tune_ = app.add_subcommand("tune", "search hyperparameters: trials from a search space (TPE or random), each "
                                     "trained on the tuning seeds, scored by the mean periodic evaluation, pruned "
                                     "below the median; resumable");
  tune_->add_option("--algo", tune_algo_, "algorithm")->required();
  tune_->add_option("--env", tune_env_, "environment id")->required();
  tune_->add_option("--trials", tune_trials_, "number of trials")->required();
  tune_->add_option("--seeds", tune_seeds_, "tuning seeds of every trial: 0-2, 100,101")->capture_default_str();
  tune_->add_option("--steps", tune_steps_, "environment steps per run")->required();
  tune_->add_option("--jobs,-j", tune_jobs_, "runs at a time (default: the number of cores)");
  tune_->add_option("--space", tune_space_, "search space YAML (default: the built-in configs/tune/<algo>.yaml)");
  tune_->add_option("--sampler", tune_sampler_, "tpe or random")->capture_default_str();
  tune_->add_option("--seed", tune_seed_, "the sampler's seed")->capture_default_str();
  tune_->add_option("--set", tune_sets_, "fixed override for every trial: --set key=value (repeatable)");
  tune_->add_option("--config", tune_preset_, "preset YAML file the trials start from");
  tune_->add_option("--out", tune_out_, "session directory (trials, tables, best.yaml; a rerun resumes it)")->required();

  plot_ = app.add_subcommand("plot", "draw learning curves of runs: mean and band per algorithm, a panel per env");
  plot_->add_option("runs", plot_dirs_, "run directories, or directories holding them")->required();
  plot_->add_option("-o,--output", plot_out_, "output file: .png or .svg")->required();
  plot_->add_option("--band", band_, "shaded band: std (mean +- sample std) or ci (95% bootstrap CI)")
      ->check(CLI::IsMember({"std", "ci"}))
      ->capture_default_str();
  plot_->add_flag("--runs", show_runs_, "also draw every run");
  plot_->add_option("--title", title_, "figure title");
  plot_->add_option("--metric", metric_,
                    "train: the mean return of the last 100 training episodes; eval: the periodic deterministic "
                    "evaluations (eval_every)")
      ->check(CLI::IsMember({"train", "eval"}))
      ->capture_default_str();

  table_ = app.add_subcommand("table", "print a Markdown table of final returns: algo x env, mean +- std over seeds");
  table_->add_option("runs", table_dirs_, "run directories, or directories holding them")->required();
  table_->add_flag("--csv", csv_, "one CSV row per run instead (label, algo, env, seed, steps, returns, wall time)");
}

std::optional<int> ExperimentCommands::Run() {
  if (*sweep_) return Sweep();
  if (*tune_) return Tune();
  if (*plot_) return Plot();
  if (*table_) return Table();
  return std::nullopt;
}

int ExperimentCommands::Plot() {
  std::vector<Curve> curves;
  const bool eval = metric_ == "eval";
  const std::vector<RunRecord> runs = ReadRuns(plot_dirs_);
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
  po.title = title_;
  po.y_label = eval ? "deterministic evaluation return" : "return (mean of last 100 training episodes)";
  po.band = band_ == "ci" ? Band::kBootstrapCi : Band::kStd;
  po.show_runs = show_runs_;
  PlotLearningCurves(curves, po, plot_out_);
  std::cout << fmt::format("wrote {} ({} runs{})\n", plot_out_, curves.size(),
                           unfinished.empty() ? std::string()
                                              : fmt::format("; unfinished, plotted as far as they got: {}",
                                                            fmt::join(unfinished, ", ")));
  return 0;
}

int ExperimentCommands::Table() {
  const std::vector<RunRecord> runs = ReadRuns(table_dirs_);
  if (csv_) {
    std::cout << PerRunCsv(runs);
    return 0;
  }
  std::cout << SummaryTable(runs) << "\n" << ProtocolNote();
  return 0;
}

}  // namespace ratchet::cli
