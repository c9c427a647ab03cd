// ratchet sweep / plot / table.
#include "experiments.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "ratchet/experiment.h"
#include "ratchet/viz.h"

extern char** environ;

namespace ratchet::cli {

namespace fs = std::filesystem;

namespace {

volatile sig_atomic_t g_sweep_signal = 0;

void OnSweepSignal(int sig) { g_sweep_signal = sig; }

std::string SelfExe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("sweep: cannot find the ratchet executable (/proc/self/exe)");
  return p.string();
}

std::string LastLine(const fs::path& p) {
  std::ifstream in(p);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

// Starts `args` with stdout and stderr appended to log; returns the pid.
pid_t Spawn(const std::vector<std::string>& args, const fs::path& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0].c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw Error(fmt::format("sweep: cannot start {}: {}", args[0], std::strerror(rc)));
  return pid;
}

}  // namespace

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
  sweep_->add_option("--jobs,-j", jobs_, "runs at a time (default: the number of cores)");
  sweep_->add_option("--out", out_, "directory of the run directories")->capture_default_str();
  sweep_->add_option("--set", sets_, "override a config key for every run: --set key=value (repeatable)");
  sweep_->add_option("--config", preset_, "preset YAML file (default: the built-in configs/<algo>.yaml)");

  plot_ = app.add_subcommand("plot", "draw learning curves of runs: mean and band per algorithm, a panel per env");
  plot_->add_option("runs", plot_dirs_, "run directories, or directories holding them")->required();
  plot_->add_option("-o,--output", plot_out_, "output file: .png or .svg")->required();
  plot_->add_option("--band", band_, "shaded band: std (mean +- sample std) or ci (95% bootstrap CI)")
      ->check(CLI::IsMember({"std", "ci"}))
      ->capture_default_str();
  plot_->add_flag("--runs", show_runs_, "also draw every run");
  plot_->add_option("--title", title_, "figure title");

  table_ = app.add_subcommand("table", "print a Markdown table of final returns: algo x env, mean +- std over seeds");
  table_->add_option("runs", table_dirs_, "run directories, or directories holding them")->required();
  table_->add_flag("--csv", csv_, "one CSV row per run instead (label, algo, env, seed, steps, returns, wall time)");
}

std::optional<int> ExperimentCommands::Run() {
  if (*sweep_) return Sweep();
  if (*plot_) return Plot();
  if (*table_) return Table();
  return std::nullopt;
}

int ExperimentCommands::Sweep() {
  SweepOptions opt;
  opt.algos = ParseNameList(algos_, "--algo");
  opt.envs = ParseNameList(envs_, "--env");
  opt.seeds = ParseSeedList(seeds_);
  if (!steps_.empty()) opt.steps = ParseCount(steps_, "--steps", false);
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (!jobs_.empty()) {
    const int64_t j = ParseCount(jobs_, "--jobs", false);
    if (j > 256) throw Error(fmt::format("--jobs must be at most 256, got {}", j));
    jobs = static_cast<int>(j);
  }
  // one thread per run unless asked otherwise: the runs are the parallelism (and results do not
  // depend on the thread count)
  opt.sets = sets_;
  opt.sets.insert(opt.sets.begin(), "threads=1");
  opt.preset_path = preset_;
  opt.out = out_;
  const std::vector<SweepRun> plan = PlanSweep(opt);

  std::map<SweepRun::State, int> count;
  for (const SweepRun& r : plan) ++count[r.state];
  std::cout << fmt::format("sweep: {} runs in {}: {} new, {} to resume, {} to restart, {} finished (skipped), "
                           "{} conflicting; {} at a time\n",
                           plan.size(), out_, count[SweepRun::State::kNew], count[SweepRun::State::kResume],
                           count[SweepRun::State::kRestart], count[SweepRun::State::kDone],
                           count[SweepRun::State::kConflict], jobs)
            << std::flush;
  for (const SweepRun& r : plan)
    if (r.state == SweepRun::State::kConflict)
      std::cerr << fmt::format("ratchet: warning: leaving {} alone: {}\n", r.dir.string(), r.why);

  std::vector<const SweepRun*> queue;
  for (const SweepRun& r : plan)
    if (r.state == SweepRun::State::kNew || r.state == SweepRun::State::kResume || r.state == SweepRun::State::kRestart)
      queue.push_back(&r);
  const fs::path logs = fs::path(out_) / "logs";
  std::error_code ec;
  fs::create_directories(logs, ec);
  if (ec) throw Error(fmt::format("cannot create '{}': {}", logs.string(), ec.message()));

  struct sigaction sa {};
  sa.sa_handler = OnSweepSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  const std::string exe = SelfExe();
  struct Child {
    const SweepRun* run;
    fs::path log;
    std::chrono::steady_clock::time_point start;
  };
  std::map<pid_t, Child> running;
  size_t next = 0;
  int finished = 0, failed = 0, interrupted = 0;
  bool forwarded = false;
  while (next < queue.size() || !running.empty()) {
    while (g_sweep_signal == 0 && next < queue.size() && static_cast<int>(running.size()) < jobs) {
      const SweepRun& r = *queue[next++];
      const fs::path log = logs / (r.dir.filename().string() + ".log");
      std::vector<std::string> args = {exe};
      // the children load the same plugins (a resumed run also finds its own in config.yaml)
      for (const std::string& p : LoadedPlugins()) args.insert(args.end(), {"--plugin", p});
      if (r.state == SweepRun::State::kResume) {
        args.insert(args.end(), {"resume", r.dir.string(), "--quiet"});
      } else {
        if (r.state == SweepRun::State::kRestart) fs::remove_all(r.dir);  // no checkpoint: nothing to keep
        args.insert(args.end(), {"train", "--algo", r.cfg.train.algo, "--env", r.cfg.train.env, "--seed",
                                 std::to_string(r.cfg.train.seed), "--run-dir", r.dir.string(), "--quiet"});
        if (opt.steps) args.insert(args.end(), {"--steps", std::to_string(*opt.steps)});
        if (!preset_.empty()) args.insert(args.end(), {"--config", preset_});
        for (const std::string& s : opt.sets) args.insert(args.end(), {"--set", s});
      }
      std::ofstream(log, std::ios::app) << fmt::format("# {}\n", fmt::join(args, " "));
      const pid_t pid = Spawn(args, log);
      running[pid] = {&r, log, std::chrono::steady_clock::now()};
      std::cout << fmt::format("[{}/{}] {} {} {} seed {}\n", next, queue.size(),
                               r.state == SweepRun::State::kResume ? "resuming" : "starting", r.cfg.train.algo,
                               r.cfg.train.env, r.cfg.train.seed)
                << std::flush;
    }
    if (g_sweep_signal != 0 && !forwarded) {
      for (const auto& [pid, c] : running) kill(pid, g_sweep_signal);  // each writes a checkpoint
      forwarded = true;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const Child c = it->second;
    running.erase(it);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - c.start).count();
    const SweepRun& r = *c.run;
    const std::string name = fmt::format("{} {} seed {}", r.cfg.train.algo, r.cfg.train.env, r.cfg.train.seed);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code == 0 && fs::exists(r.dir / "model.bin")) {
      ++finished;
      const RunRecord rec = ReadRun(r.dir);
      std::cout << fmt::format("  done {} in {:.1f} s: final return {:.1f}\n", name, secs, rec.FinalReturn());
    } else if (g_sweep_signal != 0) {
      ++interrupted;
      std::cout << fmt::format("  stopped {} (checkpointed; the next sweep resumes it)\n", name);
    } else {
      ++failed;
      std::cout << fmt::format("  FAILED {} (exit {}): {} (log: {})\n", name, code, LastLine(c.log), c.log.string());
    }
    std::cout << std::flush;
  }
  std::cout << fmt::format("sweep: {} trained, {} skipped, {} failed, {} interrupted, {} left alone\n", finished,
                           count[SweepRun::State::kDone], failed, interrupted + (queue.size() - next),
                           count[SweepRun::State::kConflict]);
  if (g_sweep_signal != 0) return 128 + g_sweep_signal;
  if (failed > 0) return 1;
  // every run of the grid conflicts with what its directory holds: nothing could be done
  if (count[SweepRun::State::kConflict] == plan.size() && !plan.empty()) {
    std::cerr << fmt::format("ratchet: error: every run of the sweep conflicts with a run already in {} (see the "
                             "warnings above); choose another --out or remove those directories\n", out_);
    return 2;
  }
  return 0;
}

int ExperimentCommands::Plot() {
  std::vector<Curve> curves;
  for (const RunRecord& r : ReadRuns(plot_dirs_)) {
    if (r.steps.empty()) {
      std::cerr << fmt::format("ratchet: warning: {} has no finished episodes yet; left out\n", r.dir.string());
      continue;
    }
    curves.push_back({r.label, r.env, r.steps, r.returns});
  }
  PlotOptions po;
  po.title = title_;
  po.band = band_ == "ci" ? Band::kBootstrapCi : Band::kStd;
  po.show_runs = show_runs_;
  PlotLearningCurves(curves, po, plot_out_);
  std::cout << fmt::format("wrote {} ({} runs)\n", plot_out_, curves.size());
  return 0;
}

int ExperimentCommands::Table() {
  const std::vector<RunRecord> runs = ReadRuns(table_dirs_);
  if (csv_) {
    std::cout << PerRunCsv(runs);
    return 0;
  }
  std::cout << SummaryTable(runs);
  std::cout << "\nFinal return: deterministic evaluation at the end of training (eval.json) where a run has "
               "one, else the mean return of its last 100 training episodes; std over seeds (n-1).\n";
  return 0;
}

}  // namespace ratchet::cli
