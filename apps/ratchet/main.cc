// ratchet: the command-line tool: train, resume, eval, export, config, envs, algos, and (experiments.cc) sweep, plot, table.
// Every user error is one line on stderr and exit code 2.
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>

#include "experiments.h"
#include "ratchet/ratchet.h"

namespace fs = std::filesystem;
using namespace ratchet;
namespace {
// The job of train/resume/sweep (World()); null before one of them asks for it.
Comm* g_world = nullptr;
}  // namespace

using ratchet::cli::Job;
using ratchet::cli::Lead;
using ratchet::cli::ParseCount;

namespace ratchet::cli {

std::function<void(const fs::path&, const std::string&)>& NewRunHook() {
  static std::function<void(const fs::path&, const std::string&)> hook;
  return hook;
}
void SetNewRunHook(std::function<void(const fs::path& dir, const std::string& env)> hook) {
  NewRunHook() = std::move(hook);
}

Comm& Job() {
  if (g_world == nullptr) g_world = &World();
  return *g_world;
}

bool Lead() { return g_world == nullptr || g_world->rank() == 0; }

}  // namespace ratchet::cli

using ratchet::cli::NewRunHook;

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
    std::cout << fmt::format("stopped after {} steps ({} updates); checkpoint written; continue with "
                             "`ratchet resume {}`\n", res.steps, res.updates, dir.string());
    return g_signal != 0 ? 128 + g_signal : 0;
  }
  std::cout << fmt::format("trained {} steps in {:.2f} s ({:.0f} steps/s), {} updates\n", res.steps,
                           res.wall_seconds, res.steps / std::max(res.wall_seconds, 1e-9), res.updates);
  if (g_world != nullptr && g_world->size() > 1) {
    std::cout << fmt::format("time on rank 0 of {}: simulation {:.2f} s, exchanging with the other ranks {:.2f} s, "
                             "rollout policy {:.2f} s, updates {:.2f} s\n", g_world->size(), res.env_seconds,
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

int Train(const ResolveOptions& opt, const std::string& run_dir_arg, bool quiet) {
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

int Resume(const std::string& run_dir, const std::string& steps_text, bool quiet) {
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

struct GifOptions {
  std::string path;
  int width = 320, height = 240, max_frames = 500;
};

int Eval(const std::string& run_dir, const std::string& episodes_text, const std::string& seed_text,
         const std::vector<bool>& modes, const GifOptions& gif, bool best, const std::string& max_steps_text) {
  const int64_t episodes = ParseCount(episodes_text, "--episodes", false);
  if (episodes > 1'000'000) throw Error(fmt::format("--episodes must be at most 1e6, got {}", episodes_text));
  EvalLimits limits;
  if (!max_steps_text.empty()) {
    const int64_t max_steps = ParseCount(max_steps_text, "--max-steps", false);
    if (max_steps > 1'000'000'000) throw Error(fmt::format("--max-steps must be at most 1e9, got {}", max_steps_text));
    limits.max_steps = static_cast<int>(max_steps);
  }
  const uint64_t seed = seed_text.empty() ? kEvalSeedBase
                                          : static_cast<uint64_t>(ParseCount(seed_text, "--seed", true));
  if (!gif.path.empty()) {
    // checked before any episode runs
    const fs::path p(gif.path);
    std::string ext = p.extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext != ".gif") throw Error(fmt::format("--gif writes a GIF: give a path ending in .gif, got '{}'", gif.path));
    const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    if (!fs::is_directory(dir) || access(dir.c_str(), W_OK) != 0)
      throw Error(fmt::format("--gif: cannot write into '{}' (missing or not writable)", dir.string()));
    if (fs::is_directory(p)) throw Error(fmt::format("--gif: '{}' is a directory", gif.path));
    if (modes.size() == 1 && !modes[0])
      throw Error("--gif renders a deterministic episode; it cannot be combined with --stochastic");
  }
  const TrainedModel m = LoadTrainedModel(run_dir, best ? "best_model.bin" : "model.bin");
  const RunConfig& cfg = m.cfg;
  if (!m.source.empty())
    std::cerr << fmt::format("ratchet: note: {} has no model.bin yet (still training, or interrupted): using its "
                             "newest {}\n", run_dir, m.source);
  std::cout << fmt::format("{} on {} from {}{}: {} episodes, seeds {}..{}\n", cfg.train.algo,
                           cfg.train.env, run_dir, best ? " (best_model.bin)" : "", episodes, seed,
                           seed + episodes - 1);
  limits.env_kwargs = cfg.train.kwargs();
  for (const bool det : modes) {
    const EvalResult r = Evaluate(*m.policy, cfg.train.env, static_cast<int>(episodes), seed, det, &m.norm, limits);
    std::cout << fmt::format("  {:<13} return {:.2f} +- {:.2f}  (min {:.1f}, max {:.1f})\n",
                             det ? "deterministic" : "stochastic", r.mean, r.std,
                             *std::min_element(r.returns.begin(), r.returns.end()),
                             *std::max_element(r.returns.begin(), r.returns.end()));
    if (r.cut > 0)
      std::cout << fmt::format("  note: {} of the {} episodes were cut at {} steps (the environment has no time "
                               "limit; --max-steps sets another)\n", r.cut, episodes,
                               limits.max_steps > 0 ? limits.max_steps : kDefaultEvalMaxSteps);
  }
  if (!gif.path.empty()) {
    const GifResult g = RecordGif(*m.policy, cfg.train.env, &m.norm, seed, gif.path, gif.width, gif.height,
                                  gif.max_frames, 1, cfg.train.kwargs());
    std::cout << fmt::format("  wrote {} (deterministic episode, seed {}, return {:.2f}, {} steps, {} frames, one "
                             "every {} steps)\n",
                             gif.path, seed, g.episode_return, g.steps, g.frames, g.every);
    if (g.steps_rendered < g.steps)
      std::cout << fmt::format("  note: the GIF shows the first {} of the episode's {} steps (--gif-frames {}); "
                               "raise --gif-frames for all of it\n",
                               g.steps_rendered, g.steps, gif.max_frames);
  }
  return 0;
}

// `ratchet doctor`: what this build is, and whether this machine reproduces the golden bits.
// Returns 0 when it does (or the build is not the recorded kind), 1 when any run differs.
int Doctor(bool print_golden, const std::vector<std::string>& algos) {
  for (const std::string& a : algos) FindAlgorithm(a);  // an unknown name: Error listing the known ones
  std::cout << BuildReport(true) << std::flush;
  const std::string mismatch = GoldenBuildMismatch();
  if (!mismatch.empty() && !print_golden) {
    std::cout << "golden bits: not checked: " << mismatch << "\n";
    return 0;
  }
  const fs::path scratch = fs::temp_directory_path() / fmt::format("ratchet-doctor-{}", getpid());
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{scratch};
  int differ = 0;
  std::vector<GoldenEntry> table;
  for (const GoldenEntry& g : GoldenBits())
    if (algos.empty() || std::find(algos.begin(), algos.end(), g.run.algo) != algos.end()) table.push_back(g);
  if (!print_golden) std::cout << fmt::format("golden bits: {} short runs (preset settings, seed 1):\n", table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    const GoldenEntry& g = table[i];
    const GoldenDigest d = RunGolden(g.run, scratch / std::to_string(i));
    if (print_golden) {
      std::cout << fmt::format("      {{{{\"{}\", \"{}\", {}}}, {{0x{:016x}, 0x{:016x}, 0x{:016x}, 0x{:016x}}}}},\n",
                               g.run.algo, g.run.env, g.run.updates, d.rollout, d.update, d.progress, d.model);
      continue;
    }
    const bool same = d == g.digest;
    differ += same ? 0 : 1;
    std::cout << fmt::format("  {:<7} {:<15} {}\n", g.run.algo, g.run.env, same ? "same bits" : "DIFFERENT BITS");
    if (!same) std::cout << "    recorded: " << g.digest.ToString() << "\n    here:     " << d.ToString() << "\n";
  }
  if (print_golden) return 0;
  if (differ == 0) {
    std::cout << "this machine reproduces the golden bits: the numbers in the docs hold here\n";
    return 0;
  }
  std::cout << fmt::format("this machine does NOT reproduce {} of {} golden runs: results here differ from the "
                           "docs'. Compare the build and package versions above with docs/REPRODUCIBILITY.md, and "
                           "please report the whole output.\n", differ, table.size());
  return 1;
}

}  // namespace

namespace {

// The command line (ratchet::cli::Main); here, where the commands above are found by name.
int RunCommandLine(int argc, char** argv) {
  CLI::App app{"Ratchet: policy-gradient reinforcement learning (PPO, ...) in C++"};
  app.require_subcommand(1);
  std::string version = BuildReport(false);
  version.pop_back();  // the final newline
  app.set_version_flag("--version", version);
  std::vector<std::string> plugins;
  app.add_option("--plugin", plugins,
                 "load environments from a plugin library (repeatable; also RATCHET_PLUGINS=a.so:b.so)");

  ResolveOptions opt;
  std::string seed_text, steps_text, run_dir, preset;
  bool quiet = false;
  CLI::App* train = app.add_subcommand("train", "train an agent; writes a run directory");
  opt.algo = "ppo";
  opt.env = "CartPole-v1";
  train->add_option("--algo", opt.algo, "algorithm (see `ratchet algos`)")->capture_default_str();
  train->add_option("--env", opt.env, "environment id (see `ratchet envs`)")->capture_default_str();
  train->add_option("--seed", seed_text, "seed (default: the preset's, else 1)");
  train->add_option("--steps", steps_text, "total environment steps (default: the preset's n_timesteps)");
  train->add_option("--set", opt.sets, "override a config key: --set key=value (repeatable)");
  train->add_option("--run-dir", run_dir, "run directory (default: runs/<algo>-<env>-s<seed>)");
  train->add_option("--config", preset, "settings file: a preset file (entries per env id, like configs/<algo>.yaml; "
                                        "default: the built-in one) or a run's config.yaml (flat key: value)");
  train->add_flag("--quiet", quiet, "no progress line");
  {
    // the settings --set takes, from their declarations
    std::string footer = "\nSettings of every algorithm (--set key=value; `ratchet config --reference` gives defaults and "
                         "what each changes):\n";
    for (const SettingInfo& s : Settings("ppo"))
      if (!s.algorithm_specific) footer += fmt::format("  {:<20} {}\n", s.key, s.doc);
    for (const AlgoEntry& a : Algorithms()) {
      std::string keys;
      for (const SettingInfo& s : Settings(a.name))
        if (s.algorithm_specific) keys += (keys.empty() ? "" : ", ") + s.key;
      footer += fmt::format("Settings of {}: {}\n", a.name, keys);
    }
    train->footer(footer);
  }

  std::string eval_dir, episodes_text = "10", eval_seed;
  bool eval_det = false, eval_stoch = false;
  CLI::App* eval = app.add_subcommand("eval", "evaluate a trained run (deterministic and stochastic unless one is chosen)");
  eval->add_option("run_dir", eval_dir, "run directory written by `ratchet train`")->required();
  eval->add_option("--episodes", episodes_text, "episodes per mode")->capture_default_str();
  eval->add_option("--seed", eval_seed, "seed of the first evaluation episode");
  CLI::Option* det_flag = eval->add_flag("--deterministic", eval_det, "only the distribution's mode");
  eval->add_flag("--stochastic", eval_stoch, "only actions sampled from the policy")->excludes(det_flag);
  GifOptions gif;
  eval->add_option("--gif", gif.path, "also render the first deterministic episode to this GIF (MuJoCo envs)");
  eval->add_option("--gif-size", gif.width, "GIF width in pixels (height is 3/4 of it)")->check(CLI::Range(16, 1920));
  eval->add_option("--gif-frames", gif.max_frames, "at most this many GIF frames (a time-limited episode is thinned to fit)")
      ->check(CLI::Range(2, 100000));
  bool eval_best = false;
  eval->add_flag("--best", eval_best, "the best periodically evaluated model (best_model.bin) instead of the last");
  std::string eval_max_steps;
  eval->add_option("--max-steps", eval_max_steps,
                   "cut each episode after this many steps (default: the environment's time limit, or 10000 without one)");

  ResolveOptions show;
  std::string show_preset;
  std::string config_run;
  CLI::App* config = app.add_subcommand(
      "config", "print a resolved configuration with a note per key and where each value comes from: of a new "
                "run (--algo, --env, --set, --config) or of an existing RUN_DIR");
  config->add_option("run_dir", config_run, "an existing run directory (instead of --algo/--env/--set)");
  show.algo = "ppo";
  show.env = "CartPole-v1";
  config->add_option("--algo", show.algo, "algorithm")->capture_default_str();
  config->add_option("--env", show.env, "environment id")->capture_default_str();
  config->add_option("--set", show.sets, "override a config key: --set key=value (repeatable)");
  config->add_option("--config", show_preset, "preset YAML file");
  bool show_reference = false;
  config->add_flag("--reference", show_reference,
                   "print every setting of every algorithm (default, doc, what it changes) as Markdown, as docs/SETTINGS.md");

  std::string resume_dir, resume_steps;
  bool resume_quiet = false;
  CLI::App* resume = app.add_subcommand("resume", "continue a run from its newest checkpoint");
  resume->add_option("run_dir", resume_dir, "run directory written by `ratchet train`")->required();
  resume->add_option("--steps", resume_steps, "raise the total step count to this");
  resume->add_flag("--quiet", resume_quiet, "no progress line");

  std::string export_dir, export_out;
  std::string export_format;
  CLI::App* exp = app.add_subcommand("export", "write a run's policy as a deployable file: .rpol (ratchet::DeployedPolicy) "
                                               "or ONNX (normalisation inside)");
  exp->add_option("run_dir", export_dir, "run directory written by `ratchet train`")->required();
  exp->add_option("-o,--output", export_out, "output file, e.g. policy.rpol, policy.onnx, or policy for policy.h/policy.c")
      ->required();
  exp->add_option("--format", export_format,
                  "rpol, onnx or c (default: from the output's extension: .onnx, .c or .h, else rpol)");
  bool export_best = false;
  exp->add_flag("--best", export_best, "export the best periodically evaluated model (best_model.bin)");

  cli::ExperimentCommands experiments(app);

  CLI::App* envs = app.add_subcommand("envs", "list the environments");
  CLI::App* algos = app.add_subcommand("algos", "list the algorithms");
  bool print_golden = false;
  std::vector<std::string> doctor_algos;
  CLI::App* doctor = app.add_subcommand(
      "doctor", "print what this build is (ISA level, compiler, library and package versions) and check that this "
                "machine reproduces the golden bits (short recorded runs of every algorithm); exit 1 if not");
  doctor->add_option("--algo", doctor_algos, "only the golden runs of these algorithms (repeatable)");
  doctor->add_flag("--print-golden", print_golden, "print this machine's digests as the golden table's lines (for maintainers)");

  // the first word that is not an option or an option's value is the command
  int first = 1;
  while (first + 1 < argc && std::string(argv[first]) == "--plugin") first += 2;
  if (first < argc && std::string(argv[first]).starts_with("--plugin=")) ++first;
  if (argc > first && argv[first][0] != '-') {
    const std::string cmd = argv[first];
    bool known = false;
    std::string names;
    for (const CLI::App* sub : app.get_subcommands({})) {
      known |= sub->get_name() == cmd;
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::cerr << "ratchet: error: unknown command '" << cmd << "'; commands: " << names << "\n";
      return 2;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "ratchet: error: " << e.what() << " (see ratchet --help)\n";
    return 2;
  }

  try {
    if (const char* env_plugins = std::getenv("RATCHET_PLUGINS")) {
      std::string list = env_plugins;
      size_t start = 0;
      while (start <= list.size()) {
        const size_t end = std::min(list.find(':', start), list.size());
        if (end > start) LoadPlugin(list.substr(start, end - start));
        start = end + 1;
      }
    }
    for (const std::string& p : plugins) LoadPlugin(p);
    if (*train) {
      if (!seed_text.empty()) opt.seed = ParseCount(seed_text, "--seed", true);
      if (!steps_text.empty()) opt.steps = ParseCount(steps_text, "--steps", false);
      opt.preset_path = preset;
      return Train(opt, run_dir, quiet);
    }
    if (*resume) return Resume(resume_dir, resume_steps, resume_quiet);
    if (*eval) {
      gif.height = gif.width * 3 / 4;
      std::vector<bool> modes;
      if (eval_det || !eval_stoch) modes.push_back(true);
      if (eval_stoch || !eval_det) modes.push_back(false);
      return Eval(eval_dir, episodes_text, eval_seed, modes, gif, eval_best, eval_max_steps);
    }
    if (const std::optional<int> rc = experiments.Run()) return *rc;
    if (*exp) {
      const TrainedModel m = LoadTrainedModel(export_dir, export_best ? "best_model.bin" : "model.bin");
      if (!m.source.empty())
        std::cerr << fmt::format("ratchet: note: {} has no model.bin yet (still training, or interrupted): "
                                 "exporting its newest {}\n", export_dir, m.source);
      std::string format = export_format;
      const std::string ext = fs::path(export_out).extension().string();
      if (format.empty()) format = ext == ".onnx" ? "onnx" : ext == ".c" || ext == ".h" ? "c" : "rpol";
      std::string written = export_out;
      if (format == "onnx") {
        ExportOnnx(m, export_out);
      } else if (format == "rpol") {
        ExportPolicy(m, export_out);
      } else if (format == "c") {
        const fs::path base = fs::path(export_out).replace_extension();
        ExportC(m, export_out, export_dir);
        written = base.string() + ".h and " + base.string() + ".c";
      } else {
        throw Error(fmt::format("--format must be rpol, onnx or c, got '{}'", format));
      }
      std::cout << fmt::format("wrote {} ({}{} on {}, {} network parameters{}{})\n", written,
                               export_best ? "best model of " : "",
                               m.cfg.train.algo, m.cfg.train.env, m.policy->mlp().num_params(),
                               m.norm.enabled ? ", observation normaliser" : "",
                               format == "onnx" ? "; ONNX, opset 13" : format == "c" ? "; C99" : "");
      return 0;
    }
    if (*config && show_reference) {
      std::cout << SettingsReference();
      return 0;
    }
    if (*config) {
      show.preset_path = show_preset;
      RunConfig cfg = config_run.empty() ? ResolveRunConfig(show) : LoadRunConfig(config_run);
      // where each value comes from: the preset alone, against what this configuration says
      ResolveOptions base;
      base.algo = cfg.train.algo;
      base.env = cfg.train.env;
      base.seed = cfg.train.seed;
      if (config_run.empty()) base.preset_path = show_preset;
      RunConfig preset = ResolveRunConfig(base);
      const auto preset_values = preset.Binder().Dump();
      const std::string changed_by =
          config_run.empty() ? "--set/--seed/--steps" : fs::path(config_run) / "config.yaml";
      ConfigBinder b = cfg.Binder();
      std::cout << "algo: " << cfg.train.algo << "\nenv: " << cfg.train.env << "\n";
      if (!cfg.env_plugin.empty()) std::cout << "env_plugin: " << cfg.env_plugin << "\n";
      const auto values = b.Dump();
      for (size_t k = 0; k < values.size(); ++k) {
        const auto& [key, value] = values[k];
        const bool from_preset = k < preset_values.size() && preset_values[k].second == value;
        std::cout << fmt::format("{:<32} # {} [{}]\n", key + ": " + value, b.Doc(key),
                                 from_preset ? "preset or default" : changed_by);
      }
      return 0;
    }
    if (*envs) {
      std::cout << fmt::format("{:<28} {:<14} {:<10} {:>9} {:>10}  {}\n", "id", "observation", "action",
                               "max_steps", "threshold", "from");
      for (const std::string& id : ListEnvs()) {
        const EnvSpec s = EnvSpecOf(id);
        const std::string source = EnvSourceOf(id), about = EnvDescriptionOf(id);
        std::cout << fmt::format("{:<28} {:<14} {:<10} {:>9} {:>10}  {}{}\n", id,
                                 s.observation_space.ToString(), s.action_space.ToString(),
                                 s.max_episode_steps,
                                 s.reward_threshold ? fmt::format("{}", *s.reward_threshold) : "-",
                                 source.empty() ? "built-in" : source, about.empty() ? "" : "  " + about);
      }
      return 0;
    }
    if (*doctor) return Doctor(print_golden, doctor_algos);
    if (*algos) {
      for (const AlgoEntry& a : Algorithms()) std::cout << fmt::format("{:<8} {}\n", a.name, a.summary);
      return 0;
    }
  } catch (const CollectiveError& e) {
    // every rank has it: rank 0 says it once
    if (Lead()) std::cerr << "ratchet: error: " << e.what() << "\n";
    return 2;
  } catch (const Error& e) {
    if (g_world != nullptr && g_world->size() > 1) {
      // only this rank knows: say so and end the whole job rather than leave the others waiting
      std::cerr << "ratchet: error: rank " << g_world->rank() << ": " << e.what() << "\n" << std::flush;
      g_world->Abort(2);
    }
    std::cerr << "ratchet: error: " << e.what() << "\n";
    return 2;
  } catch (const InternalError& e) {
    if (g_world != nullptr && g_world->size() > 1) {
      std::cerr << "ratchet: rank " << g_world->rank() << ": " << e.what() << " (please report this bug)\n" << std::flush;
      g_world->Abort(3);
    }
    std::cerr << "ratchet: " << e.what() << " (please report this bug)\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "ratchet: error: " << e.what() << "\n";
    return 1;
  } catch (...) {  // a plugin's code outside the guarded calls
    std::cerr << "ratchet: error: something that is not a std::exception was thrown (by a plugin's code?)\n";
    return 2;
  }
  return 0;
}

}  // namespace

int ratchet::cli::Main(int argc, char** argv) { return RunCommandLine(argc, argv); }
