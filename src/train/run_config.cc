#include <algorithm>
#include <cctype>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <fstream>
#include <sstream>
#include <yaml-cpp/yaml.h>

#include "ratchet/train.h"
#include "train/yaml_util.h"

namespace ratchet {

void TrainConfig::Bind(ConfigBinder& b) {
  b.Add("n_timesteps", &n_timesteps, "total environment steps (rounded down to whole rollouts)", AtLeast<int64_t>(1),
        kBudget);
  LearnerConfig::Bind(b);
  b.Add("threads", &threads, "worker threads (results are identical for any count)", InRange(1, 256), kIncidental);
  b.Add("eval_episodes", &eval_episodes,
        "deterministic evaluation episodes, periodically (eval_every) and after training (0: none)", AtLeast(0),
        kReporting);
  b.Add("eval_every", &eval_every,
        "steps between periodic evaluations, rounded up to whole rollouts; the best model is kept as "
        "best_model.bin (0: ten evaluations per run; negative: none)", {}, kIncidental);
  b.Add("checkpoint_every", &checkpoint_every, "write a checkpoint every k updates (0: only at the end)", AtLeast(0),
        kIncidental);
  b.Add("checkpoint_minutes", &checkpoint_minutes,
        "also write a checkpoint when this many minutes passed since the last (0: off)", NonNegative(), kIncidental);
  b.Add("checkpoint_keep", &checkpoint_keep, "checkpoints kept in RUN_DIR/checkpoints", AtLeast(1), kIncidental);
  b.Add("stop_at", &stop_at, "stop with a checkpoint once this many steps are done (0: off); resume later",
        AtLeast<int64_t>(0), kIncidental);
  b.Add<std::optional<double>>(
      "stop_at_return", &stop_at_return,
      "stop with a checkpoint once a periodic evaluation's mean return reaches this (null: off); resume later",
      [](const std::optional<double>& v) { return !v || std::isfinite(*v) ? "" : "a finite number or null"; },
      kIncidental);
  b.Add<std::string>("label", &label, "the run's name in sweeps, plots and tables, e.g. vpg-no-baseline (default: the algo)",
                     [](const std::string& l) {
                       for (char c : l)
                         if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && c != '+')
                           return "made of letters, digits and - _ . + only";
                       return "";
                     },
                     kReporting);
  b.Add<std::string>("env_kwargs", &env_kwargs,
                     "keyword arguments of the environment, e.g. {ctrl_cost_weight: 0.2, xml_file: ./my_ant.xml} "
                     "(Gymnasium's make(id, **kwargs))",
                     [](const std::string& text) {
                       try {
                         ParseEnvKwargs(text);
                       } catch (const Error&) {
                         return "a map in braces, {key: value, ...}";
                       }
                       return "";
                     });
}

int TrainConfig::EvalInterval(int updates) const {
  if (eval_episodes <= 0 || eval_every < 0 || updates <= 0) return 0;
  if (eval_every == 0) return std::max(1, updates / 10);
  const int64_t per = rollout_steps();
  return static_cast<int>(std::min<int64_t>((eval_every + per - 1) / per, std::max(updates, 1)));
}

void TrainConfig::Validate() {
  ConfigBinder b;
  Bind(b);
  b.Validate();
  if (rollout_steps() > n_timesteps)
    throw Error(fmt::format(
        "n_timesteps ({}) is smaller than one rollout of n_steps * n_envs = {} steps; raise the "
        "step count or lower n_steps",
        n_timesteps, rollout_steps()));
  // update counts are 32-bit (progress.csv, checkpoints): a budget beyond them would wrap
  const int64_t updates = n_timesteps / rollout_steps();
  if (updates > std::numeric_limits<int32_t>::max())
    throw Error(fmt::format("n_timesteps ({}) means {} updates of n_steps * n_envs = {} steps, more than the "
                            "{} a run can count; lower the step count or raise n_steps",
                            n_timesteps, updates, rollout_steps(),
                            std::numeric_limits<int32_t>::max()));
}

ConfigBinder RunConfig::Binder() {
  ConfigBinder b;
  b.Add("seed", &train.seed, "seed of the run: networks, sampling, env copies (seed + i)", {}, kReplicate);
  train.Bind(b);
  algo->Bind(b);
  return b;
}

std::string RunConfig::ToYaml() {
  std::ostringstream out;
  out << "# resolved Ratchet run configuration\n";
  out << "algo: " << train.algo << "\nenv: " << train.env << "\n";
  if (!env_plugin.empty()) out << "env_plugin: " << YAML::Node(env_plugin) << "\n";
  if (!env_model.empty()) out << "env_model: " << YAML::Node(env_model) << "\n";
  for (const auto& [k, v] : Binder().Dump()) out << k << ": " << v << "\n";
  return out.str();
}

namespace {


RunConfig MakeEmpty(const std::string& algo, const std::string& env) {
  RunConfig cfg;
  cfg.train.algo = FindAlgorithm(algo).name;
  EnvSpecOf(env);  // throws for an unknown id, listing the known ones
  cfg.train.env = env;
  cfg.env_plugin = EnvSourceOf(env);
  cfg.env_model = EnvSpecOf(env).model_file;
  cfg.algo = FindAlgorithm(algo).make_config();
  return cfg;
}

void Validate(RunConfig& cfg) {
  cfg.Binder().Validate();  // every key's own check
  // one spelling per setting; the environment is made once here, so that a keyword it refuses
  // is said before anything starts, and a model file given as xml_file is recorded as env_model
  const EnvKwargs kwargs = cfg.train.kwargs();
  cfg.train.env_kwargs = kwargs.empty() ? "" : FormatEnvKwargs(kwargs);
  cfg.env_model = EnvSpecOf(cfg.train.env, kwargs).model_file;
  cfg.train.Validate();
  cfg.algo->Validate(cfg.train);
  if (cfg.train.whole_episodes && !cfg.algo->SupportsWholeEpisodes())
    throw Error(cfg.train.algo + " does not train on whole-episode batches (whole_episodes: true); acktr with "
                "variant separate does");
}

// A --config file: a preset file (settings per environment id, as configs/<algo>.yaml), or a
// flat run config (key: value, as a run's config.yaml or `ratchet config` prints). Never ignored:
// a preset file without an entry for the env or a `default` entry is an error.
void ApplyConfigFile(const std::string& path, RunConfig& cfg, ConfigBinder& b) {
  const std::string text = ReadTextFile(path, "preset file");
  const YAML::Node root = LoadYaml(text, path);
  if (!root || root.IsNull()) throw Error(fmt::format("{}: the config file is empty", path));
  const auto entries = MapEntries(root, path, "a config file");
  bool flat = false;
  for (const auto& [key, node] : entries) flat |= key == "algo" || key == "env" || !node.IsMap();
  if (!flat) {
    if (PresetEntryFor(text, cfg.train.env, path).empty()) {
      std::string ids;
      for (const auto& [key, node] : entries) ids += (ids.empty() ? "" : ", ") + key;
      throw Error(fmt::format("{}: the preset file has no entry for '{}', for another version of it or 'default' (it has: {})",
                              path, cfg.train.env, ids));
    }
    for (const auto& [k, v] : PresetFor(text, cfg.train.env, path)) b.Set(k, v, fmt::format("preset {}", path));
    return;
  }
  for (const auto& [key, node] : entries) {
    if (key == "algo" || key == "env") {
      const std::string want = key == "algo" ? cfg.train.algo : cfg.train.env;
      const std::string have = YamlScalar(node, path, key);
      if (have != want)
        throw Error(fmt::format("{}: the run config is for {} {} but this run asks for {} {}; pass --{} {}", path,
                                key, have, key, want, key, have));
      continue;
    }
    if (key == "env_plugin" || key == "env_model") continue;
    b.Set(key, YamlValueText(node, path, key), path);
  }
}

}  // namespace

namespace {

// The compiled-in preset file of ALGO and its name ({"", ""} when it has none).
std::pair<std::string, std::string> EmbeddedPresetOf(const std::string& algo) {
  const auto& presets = EmbeddedPresets();
  const auto it = presets.find(algo);
  if (it == presets.end()) return {"", ""};
  return {it->second, "configs/" + algo + ".yaml"};
}

}  // namespace

std::string BorrowedPresetEntry(const ResolveOptions& opt) {
  const std::string env = opt.preset_env.empty() ? opt.env : opt.preset_env;
  const auto [text, source] = opt.preset_path.empty()
                                  ? EmbeddedPresetOf(opt.algo)
                                  : std::pair{ReadTextFile(opt.preset_path, "preset file"), opt.preset_path};
  if (text.empty()) return "";
  const std::string entry = PresetEntryFor(text, env, source);
  return entry.empty() || entry == env ? "" : fmt::format("{}'s entry of {}", entry, source);
}

RunConfig ResolveRunConfig(const ResolveOptions& opt) {
  RunConfig cfg = MakeEmpty(opt.algo, opt.env);
  ConfigBinder b = cfg.Binder();
  if (opt.preset_path.empty()) {
    if (const auto [text, source] = EmbeddedPresetOf(cfg.train.algo); !text.empty())
      for (const auto& [k, v] : PresetFor(text, opt.preset_env.empty() ? cfg.train.env : opt.preset_env, source))
        b.Set(k, v, fmt::format("preset {}", source));
  } else {
    ApplyConfigFile(opt.preset_path, cfg, b);
  }
  for (const std::string& s : opt.sets) {
    const auto [k, v] = ParseAssignment(s);
    b.Set(k, v, "--set " + s);
  }
  if (opt.seed) cfg.train.seed = *opt.seed;
  if (opt.steps) cfg.train.n_timesteps = *opt.steps;
  Validate(cfg);
  return cfg;
}

RunConfig LoadRunConfig(const std::filesystem::path& run_dir) {
  if (!std::filesystem::is_directory(run_dir))
    throw Error(fmt::format("run directory '{}' does not exist", run_dir.string()));
  const std::filesystem::path path = run_dir / "config.yaml";
  return RunConfigFromYaml(ReadTextFile(path, "run config"), path.string());
}

RunConfig RunConfigFromYaml(const std::string& text, const std::string& source) {
  const std::filesystem::path path = source;
  const YAML::Node root = LoadYaml(text, path.string());
  if (!root.IsMap() || !root["algo"] || !root["env"])
    throw Error(fmt::format("{}: not a Ratchet run config (no algo/env keys)", path.string()));
  const auto entries = MapEntries(root, path.string(), "a run config");
  const std::string algo = YamlScalar(root["algo"], path.string(), "algo");
  const std::string env = YamlScalar(root["env"], path.string(), "env");
  if (root["env_plugin"]) {
    const std::string plugin = YamlScalar(root["env_plugin"], path.string(), "env_plugin");
    const std::vector<std::string> known = ListEnvs();
    if (std::find(known.begin(), known.end(), env) == known.end()) {
      try {
        LoadPlugin(plugin);
      } catch (const Error& e) {
        throw Error(fmt::format("{}: the run's environment '{}' comes from a plugin that cannot be loaded: {}",
                                path.string(), env, e.what()));
      }
    }
  }
  RunConfig cfg = MakeEmpty(algo, env);
  const std::string recorded_model = root["env_model"] ? YamlScalar(root["env_model"], path.string(), "env_model") : "";
  ConfigBinder b = cfg.Binder();
  for (const auto& [key, value] : entries) {
    if (key == "algo" || key == "env" || key == "env_plugin" || key == "env_model") continue;
    b.Set(key, YamlValueText(value, path.string(), key), path.string());
  }
  Validate(cfg);
  if (recorded_model != cfg.env_model)
    throw Error(fmt::format("{}: the run was trained on {} but {} now (RATCHET_MODEL_DIR, or the file xml_file names, "
                            "changed); put it back to use this run",
                            path.string(), recorded_model.empty() ? "the built-in physics model" : "'" + recorded_model + "'",
                            cfg.env_model.empty() ? "the built-in model is used" : "'" + cfg.env_model + "' is used"));
  return cfg;
}

}  // namespace ratchet
