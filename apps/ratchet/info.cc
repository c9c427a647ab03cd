// ratchet config, envs, algos and doctor: what there is, and what this build and machine are.
#include <unistd.h>

#include <algorithm>
#include <fmt/format.h>
#include <iostream>
#include <memory>

#include "commands.h"
#include "ratchet/ratchet.h"

namespace ratchet::cli {

namespace fs = std::filesystem;

namespace {

struct ConfigArgs {
  ResolveOptions opt{.algo = "ppo", .env = "CartPole-v1"};
  std::string run_dir, preset;
  bool reference = false;
};

int Config(ConfigArgs& a) {
  if (a.reference) {
    std::cout << SettingsReference();
    return 0;
  }
  a.opt.preset_path = a.preset;
  RunConfig cfg = a.run_dir.empty() ? ResolveRunConfig(a.opt) : LoadRunConfig(a.run_dir);
  // where each value comes from: the preset alone, against what this configuration says
  ResolveOptions base;
  base.algo = cfg.train.algo;
  base.env = cfg.train.env;
  base.seed = cfg.train.seed;
  if (a.run_dir.empty()) base.preset_path = a.preset;
  RunConfig preset = ResolveRunConfig(base);
  const auto preset_values = preset.Binder().Dump();
  const std::string changed_by =
      a.run_dir.empty() ? "--set/--seed/--steps" : fs::path(a.run_dir) / "config.yaml";
  ConfigBinder b = cfg.Binder();
  std::cout << "algo: " << cfg.train.algo << "\nenv: " << cfg.train.env << "\n";
  if (!cfg.env_plugin.empty()) std::cout << "env_plugin: " << cfg.env_plugin << "\n";
  if (a.run_dir.empty())  // a task without its own preset entry: say whose it gets
    if (const std::string borrowed = BorrowedPresetEntry(a.opt); !borrowed.empty())
      std::cout << fmt::format("# preset: {} (it has none for {})\n", borrowed, cfg.train.env);
  const auto values = b.Dump();
  for (size_t k = 0; k < values.size(); ++k) {
    const auto& [key, value] = values[k];
    const bool from_preset = k < preset_values.size() && preset_values[k].second == value;
    std::cout << fmt::format("{:<32} # {} [{}]\n", key + ": " + value, b.Doc(key),
                             from_preset ? "preset or default" : changed_by);
  }
  return 0;
}

int Envs() {
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

int Algos() {
  for (const AlgoEntry& a : Algorithms()) std::cout << fmt::format("{:<8} {}\n", a.name, a.summary);
  return 0;
}

struct DoctorArgs {
  bool print_golden = false;
  std::vector<std::string> algos;
};

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

void AddInfoCommands(CLI::App& app, std::vector<Command>& out) {
  {
    auto a = std::make_shared<ConfigArgs>();
    CLI::App* config = app.add_subcommand(
        "config", "print a resolved configuration with a note per key and where each value comes from: of a new "
                  "run (--algo, --env, --set, --config) or of an existing RUN_DIR");
    config->add_option("run_dir", a->run_dir, "an existing run directory (instead of --algo/--env/--set)");
    config->add_option("--algo", a->opt.algo, "algorithm")->capture_default_str();
    config->add_option("--env", a->opt.env, "environment id")->capture_default_str();
    config->add_option("--set", a->opt.sets, "override a config key: --set key=value (repeatable)");
    config->add_option("--config", a->preset, "preset YAML file");
    config->add_flag("--reference", a->reference,
                     "print every setting of every algorithm (default, doc, what it changes) as Markdown, as docs/SETTINGS.md");
    out.push_back({config, [a] { return Config(*a); }});
  }
  CLI::App* envs = app.add_subcommand("envs", "list the environments");
  out.push_back({envs, [] { return Envs(); }});
  CLI::App* algos = app.add_subcommand("algos", "list the algorithms");
  out.push_back({algos, [] { return Algos(); }});
  {
    auto a = std::make_shared<DoctorArgs>();
    CLI::App* doctor = app.add_subcommand(
        "doctor", "print what this build is (ISA level, compiler, library and package versions) and check that this "
                  "machine reproduces the golden bits (short recorded runs of every algorithm); exit 1 if not");
    doctor->add_option("--algo", a->algos, "only the golden runs of these algorithms (repeatable)");
    doctor->add_flag("--print-golden", a->print_golden,
                     "print this machine's digests as the golden table's lines (for maintainers)");
    out.push_back({doctor, [a] { return Doctor(a->print_golden, a->algos); }});
  }
}

}  // namespace ratchet::cli
