// ratchet train and ratchet resume.
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <iostream>
#include <memory>

#include "commands.h"
#include "ratchet/ratchet.h"

namespace ratchet::cli {

namespace fs = std::filesystem;

namespace {

volatile sig_atomic_t g_signal = 0;

void OnSignal(int sig) {
  if (g_signal != 0) {
    // a second signal: end now (the last checkpoint stays intact; nothing is half-written)
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_signal = sig;
  RequestStop();
}

// SIGINT/SIGTERM/SIGHUP (a closed terminal) during training: finish the update, write a
// checkpoint, exit; a second signal ends the process at once.
void InstallStopHandlers() {
  g_signal = 0;  // a command run again in one process (the Python package) starts unstopped
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

// The columns of the terminal on stderr (0 when it is not a terminal).
int TerminalWidth() {
  struct winsize ws {};
  if (isatty(STDERR_FILENO) && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 0;
}

// Prints the outcome of Train/Resume; returns the exit code.
int Report(const TrainResult& res, const fs::path& dir) {
  if (res.stopped) {
    std::cout << fmt::format("stopped after {} steps ({} updates): {}; checkpoint written; continue with "
                             "`ratchet resume {}`\n", res.steps, res.updates, res.stop_reason, dir.string());
    return g_signal != 0 ? 128 + g_signal : 0;
  }
  std::cout << fmt::format("trained {} steps in {:.2f} s ({:.0f} steps/s), {} updates\n", res.steps,
                           res.wall_seconds, res.steps / std::max(res.wall_seconds, 1e-9), res.updates);
  if (Job().size() > 1) {
    std::cout << fmt::format("time on rank 0 of {}: simulation {:.2f} s, exchanging with the other ranks {:.2f} s, "
                             "rollout policy {:.2f} s, updates {:.2f} s\n", Job().size(), res.env_seconds,
                             res.comm_seconds, res.collect_seconds, res.update_seconds);
  } else {
    std::cout << fmt::format("time in this process: simulation {:.2f} s, rollout policy {:.2f} s, updates {:.2f} s\n",
                             res.env_seconds, res.collect_seconds, res.update_seconds);
  }
  if (res.eval)
    std::cout << fmt::format("deterministic evaluation over {} episodes: {:.2f} +- {:.2f}\n",
                             res.eval->returns.size(), res.eval->mean, res.eval->std);
  if (res.best_eval)
    std::cout << fmt::format("best periodic evaluation: {:.2f} (best_model.bin)\n", *res.best_eval);
  std::cout << "run directory: " << dir.string() << "\n";
  return 0;
}

fs::path ChooseRunDir(const std::string& requested, const RunConfig& cfg) {
  // a directory holding a run that stopped before its first checkpoint is started again
  auto restart_note = [](const fs::path& dir) {
    const RunDirStatus st = InspectRunDir(dir);
    if (st.exists && !st.empty && st.restartable())
      std::cerr << fmt::format("ratchet: '{}' holds a run stopped before its first checkpoint; starting it again\n",
                               dir.string());
    return st;
  };
  if (!requested.empty()) {
    const fs::path dir(requested);
    if (fs::exists(dir) && !fs::is_directory(dir))
      throw Error(fmt::format("run directory '{}' exists and is not a directory", requested));
    const RunDirStatus st = InspectRunDir(dir);
    if (!st.in_use.empty()) throw Error(st.in_use);
    if (st.exists && !st.restartable())
      throw Error(fmt::format("run directory '{}' already holds a run with a checkpoint or a model; resume it "
                              "or choose another --run-dir (nothing was overwritten)", requested));
    restart_note(dir);
    return dir;
  }
  const fs::path base = fs::path("runs") / fmt::format("{}-{}-s{}", cfg.train.algo, cfg.train.env,
                                                       cfg.train.seed);
  fs::path dir = base;
  for (int k = 2; fs::exists(dir) && !InspectRunDir(dir).restartable(); ++k)
    dir = base.string() + "-" + std::to_string(k);
  restart_note(dir);
  return dir;
}

// Train and resume under mpirun: every rank runs the command; rank 0 chooses and writes the run
// directory and prints, the others follow (one process is rank 0 of one).
TrainOptions ProgressOptions(bool quiet) {
  TrainOptions to;
  if (!quiet && Lead()) {
    to.progress = &std::cerr;
    to.progress_is_tty = isatty(STDERR_FILENO) != 0;
    to.progress_width = TerminalWidth();
  }
  to.comm = &Job();
  return to;
}

struct TrainArgs {
  ResolveOptions opt{.algo = "ppo", .env = "CartPole-v1"};
  std::string seed, steps, run_dir, preset;
  bool quiet = false;
};

int Train(TrainArgs& a) {
  ResolveOptions& opt = a.opt;
  if (!a.seed.empty()) opt.seed = ParseCount(a.seed, "--seed", true);
  if (!a.steps.empty()) opt.steps = ParseCount(a.steps, "--steps", false);
  opt.preset_path = a.preset;
  const std::string& run_dir_arg = a.run_dir;
  const bool quiet = a.quiet;
  Comm& job = Job();
  RunConfig cfg;
  fs::path dir;
  Agree(job, [&] {
    cfg = ResolveRunConfig(opt);
    if (job.rank() != 0) return;
    dir = ChooseRunDir(run_dir_arg, cfg);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw Error(fmt::format("cannot create run directory '{}': {}", dir.string(), ec.message()));
  });
  const std::string chosen = dir.string();
  const std::vector<uint8_t> bytes = Broadcast(job, std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(chosen.data()), chosen.size()));
  dir = std::string(bytes.begin(), bytes.end());
  if (Lead())
    std::cerr << fmt::format("ratchet: training {} on {} (seed {}, {} steps) into {}{}\n", cfg.train.algo,
                             cfg.train.env, cfg.train.seed, cfg.train.n_timesteps, dir.string(),
                             job.size() > 1 ? fmt::format(" on {} MPI ranks", job.size()) : "");
  if (Lead() && NewRunHook()) NewRunHook()(dir, cfg.train.env);
  const TrainOptions to = ProgressOptions(quiet);
  InstallStopHandlers();
  const TrainResult res = ratchet::Train(cfg, dir, to);
  return Lead() ? Report(res, dir) : (res.stopped && g_signal != 0 ? 128 + g_signal : 0);
}

struct ResumeArgs {
  std::string run_dir, steps;
  bool quiet = false;
};

int Resume(const ResumeArgs& a) {
  const std::string& run_dir = a.run_dir;
  const std::string& steps_text = a.steps;
  const bool quiet = a.quiet;
  std::optional<int64_t> steps;
  Comm& job = Job();
  Agree(job, [&] {
    if (!steps_text.empty()) steps = ParseCount(steps_text, "--steps", false);
    if (job.rank() != 0) return;
    if (!fs::is_directory(run_dir)) throw Error(fmt::format("run directory '{}' does not exist", run_dir));
    if (const RunDirStatus st = InspectRunDir(run_dir); !st.in_use.empty()) throw Error(st.in_use);
  });
  const TrainOptions to = ProgressOptions(quiet);
  InstallStopHandlers();
  if (Lead()) std::cerr << fmt::format("ratchet: resuming {}\n", run_dir);
  const TrainResult res = ratchet::Resume(run_dir, to, steps);
  return Lead() ? Report(res, run_dir) : (res.stopped && g_signal != 0 ? 128 + g_signal : 0);
}

}  // namespace

void AddTrainingCommands(CLI::App& app, std::vector<Command>& out) {
  {
    auto a = std::make_shared<TrainArgs>();
    CLI::App* train = app.add_subcommand("train", "train an agent; writes a run directory");
    train->add_option("--algo", a->opt.algo, "algorithm (see `ratchet algos`)")->capture_default_str();
    train->add_option("--env", a->opt.env, "environment id (see `ratchet envs`)")->capture_default_str();
    train->add_option("--seed", a->seed, "seed (default: the preset's, else 1)");
    train->add_option("--steps", a->steps, "total environment steps (default: the preset's n_timesteps)");
    train->add_option("--set", a->opt.sets, "override a config key: --set key=value (repeatable)");
    train->add_option("--run-dir", a->run_dir, "run directory (default: runs/<algo>-<env>-s<seed>)");
    train->add_option("--config", a->preset, "settings file: a preset file (entries per env id, like configs/<algo>.yaml; "
                                          "default: the built-in one) or a run's config.yaml (flat key: value)");
    train->add_flag("--quiet", a->quiet, "no progress line");
    {
      // the settings --set takes, from their declarations
      std::string footer = "\nSettings of every algorithm (--set key=value; `ratchet config --reference` gives defaults and "
                           "what each changes):\n";
      for (const SettingInfo& s : Settings("ppo"))
        if (!s.algorithm_specific) footer += fmt::format("  {:<20} {}\n", s.key, s.doc);
      for (const AlgoEntry& algo : Algorithms()) {
        std::string keys;
        for (const SettingInfo& s : Settings(algo.name))
          if (s.algorithm_specific) keys += (keys.empty() ? "" : ", ") + s.key;
        footer += fmt::format("Settings of {}: {}\n", algo.name, keys);
      }
      train->footer(footer);
    }
    out.push_back({train, [a] { return Train(*a); }});
  }
  {
    auto a = std::make_shared<ResumeArgs>();
    CLI::App* resume = app.add_subcommand("resume", "continue a run from its newest checkpoint");
    resume->add_option("run_dir", a->run_dir, "run directory written by `ratchet train`")->required();
    resume->add_option("--steps", a->steps, "raise the total step count to this");
    resume->add_flag("--quiet", a->quiet, "no progress line");
    out.push_back({resume, [a] { return Resume(*a); }});
  }
}

}  // namespace ratchet::cli
