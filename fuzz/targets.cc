#include "targets.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/file.h"
#include "ratchet/bytes.h"
#include "ratchet/deploy.h"
#include "ratchet/experiment.h"
#include "ratchet/train.h"
#include "ratchet/tune.h"
#include "train/checkpoint.h"
#include "train/trainer_state.h"
#include "train/yaml_util.h"

namespace ratchet::fuzz {
namespace {

// A scratch path of this process (in /dev/shm when there is one: no disk traffic).
std::filesystem::path ScratchDir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    d /= "ratchet_fuzz_" + std::to_string(::getpid());
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

std::filesystem::path Scratch(const char* name) { return ScratchDir() / name; }

void WriteRaw(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int FuzzPolicyFile(const uint8_t* data, size_t size) {
  // the first byte picks the version field (valid or not); the rest is the body
  const uint32_t version = size > 0 ? data[0] % 3 : 1;
  const std::vector<uint8_t> body(data + (size > 0), data + size);
  const auto path = Scratch("p.rpol");
  WriteRaw(path, Frame({'R', 'A', 'T', 'C', 'H', 'E', 'T', 'P'}, version, body));
  try {
    const DeployedPolicy p = DeployedPolicy::Load(path.string());
    std::vector<float> obs(static_cast<size_t>(p.obs_dim()), 0.5f), act(static_cast<size_t>(p.action_dim()));
    p.Act(obs, act);
  } catch (const DeployError&) {
  }
  return 0;
}

int FuzzCheckpoint(const uint8_t* data, size_t size) {
  // the first byte picks the version field: 1 .. the current one (a version 1 file is refused)
  const uint32_t version = size > 0 ? 1 + data[0] % kCheckpointFormatVersion : kCheckpointFormatVersion;
  const std::vector<uint8_t> body(data + (size > 0), data + size);
  const auto dir = Scratch("run");
  std::filesystem::create_directories(dir / "checkpoints");
  WriteRaw(dir / "checkpoints" / "ckpt-00000004.bin", Frame({'R', 'A', 'T', 'C', 'H', 'E', 'T', 'C'}, version, body));
  try {
    const LoadedCheckpoint ck = LoadLatestCheckpoint(dir);
    // the trainer's first reads: counters and the episode window
    ByteReader r(ck.payload, "checkpoint");
    r.Get<int>();
    r.Get<int64_t>();
    r.Get<int64_t>();
    r.Get<double>();
    const uint64_t n = r.Get<uint64_t>();
    for (uint64_t k = 0; k < n && k < 100; ++k) {
      r.Get<int>();
      r.Get<double>();
      r.Get<int>();
    }
    r.GetVector<float>();
  } catch (const Error&) {
  }
  return 0;
}

int FuzzPresetYaml(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    PresetFor(text, "CartPole-v1", "fuzz.yaml");
    const YAML::Node root = LoadYaml(text, "fuzz.yaml");
    if (root.IsMap())
      for (const auto& [key, value] : MapEntries(root, "fuzz.yaml", "a config file")) {
        if (value.IsScalar()) YamlScalar(value, "fuzz.yaml", key);
        if (!value.IsMap()) YamlValueText(value, "fuzz.yaml", key);
      }
  } catch (const Error&) {
  }
  return 0;
}

void CleanUp() {
  std::error_code ec;
  std::filesystem::remove_all(ScratchDir(), ec);
}

#ifndef RATCHET_FUZZ_LIGHT
namespace {

// A valid run config for the targets that need one (PPO on CartPole-v1, small networks).
const std::string& RunConfigText() {
  static const std::string text = [] {
    ResolveOptions o;
    o.algo = "ppo";
    o.env = "CartPole-v1";
    o.sets = {"net_arch=8", "n_envs=2", "n_steps=64", "batch_size=64", "n_timesteps=1024"};
    return ResolveRunConfig(o).ToYaml();
  }();
  return text;
}

}  // namespace

int FuzzModelFile(const uint8_t* data, size_t size) {
  const uint32_t version = size > 0 ? data[0] % 4 : 2;
  const std::vector<uint8_t> body(data + (size > 0), data + size);
  const auto dir = Scratch("model_run");
  std::filesystem::create_directories(dir);
  WriteRaw(dir / "config.yaml", std::vector<uint8_t>(RunConfigText().begin(), RunConfigText().end()));
  WriteRaw(dir / "model.bin", Frame({'R', 'A', 'T', 'C', 'H', 'E', 'T', 'M'}, version, body));
  try {
    const TrainedModel m = LoadTrainedModel(dir);
    Actor actor(*m.policy, &m.norm, m.spec.action_space);
    Rng rng(1);
    actor.Act(std::vector<float>(4, 0.1f), true, rng);
  } catch (const Error&) {
  }
  return 0;
}

int FuzzSearchSpace(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const SearchSpace space = ParseSearchSpace(text, "space.yaml");
    // every sampler draws from what parsed, and its assignments print
    const Assignment a = MakeRandomSampler(1)->Suggest(space, 0, {});
    for (size_t i = 0; i < space.params.size(); ++i) a.Text(space, i);
    MakeTpeSampler(1)->Suggest(space, 1, {{a, 1.0}});
  } catch (const Error&) {
  }
  return 0;
}

int FuzzTuneTrials(const uint8_t* data, size_t size) {
  // trials.yaml of a session over a fixed space with every kind of range
  static const SearchSpace space = ParseSearchSpace(
      "learning_rate: {log_uniform: [1.0e-5, 1.0e-2]}\nn_steps: {int: [8, 2048]}\n"
      "gamma: {uniform: [0.9, 0.9999]}\nactivation: {categorical: [tanh, relu]}\n",
      "space.yaml");
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const std::vector<TuneTrial> trials = ParseTrials(text, space, "trials.yaml");
    std::vector<TrialRecord> history;
    for (const TuneTrial& t : trials)
      if (t.state == TuneTrial::State::kComplete) history.push_back({t.assignment, t.score});
    MakeTpeSampler(1)->Suggest(space, static_cast<int>(trials.size()), history);
  } catch (const Error&) {
  }
  return 0;
}

// The trainer's payload of a checkpoint (counters, episode window, environment copies, collector
// and normalisers, networks and optimiser), restored into a real learner and collector as a resume
// restores it: a small PPO on CartPole-v1 with both normalisers on. Returns the refusal ("" when
// the payload restored and the restored policy acted).
std::string TrainerPayloadError(const uint8_t* data, size_t size) {
  static const RunConfig cfg = [] {
    ResolveOptions o;
    o.algo = "ppo";
    o.env = "CartPole-v1";
    o.sets = {"net_arch=8", "n_envs=2", "n_steps=64", "batch_size=64", "n_timesteps=1024", "normalize_obs=true",
              "normalize_reward=true"};
    return ResolveRunConfig(o);
  }();
  const TrainConfig& tc = cfg.train;
  // the first byte picks the format version (2 .. the current one), the rest is the payload
  const uint32_t version = size > 0 ? 2 + data[0] % (kCheckpointFormatVersion - 1) : kCheckpointFormatVersion;
  const std::vector<uint8_t> payload(data + (size > 0), data + size);
  VectorEnv venv(tc.env, tc.n_envs);
  const Rng root(static_cast<uint64_t>(tc.seed));
  std::unique_ptr<Algorithm> algo = FindAlgorithm(tc.algo).make(*cfg.algo, venv.spec(), tc, root.Split(1), nullptr);
  Collector collector(algo->policy(), algo->value(), venv, tc.collector(), root.Split(2));
  TrainerProgress p;
  try {
    ReadTrainerPayload(payload, version, tc, collector, *algo, &p);
    // what a resume does next with it: act on a normalised observation
    Actor actor(algo->policy(), &collector.normalizer(), venv.spec().action_space);
    Rng rng(1);
    actor.Act(std::vector<float>(4, 0.1f), false, rng);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

int FuzzTrainerPayload(const uint8_t* data, size_t size) {
  TrainerPayloadError(data, size);
  return 0;
}

int FuzzRunConfig(const uint8_t* data, size_t size) {
  try {
    RunConfigFromYaml(std::string(reinterpret_cast<const char*>(data), size), "fuzz/config.yaml");
  } catch (const Error&) {
  }
  return 0;
}

int FuzzRunLogs(const uint8_t* data, size_t size) {
  // progress.csv, then (after the first NUL byte, if any) eval.json
  const uint8_t* nul = static_cast<const uint8_t*>(std::memchr(data, 0, size));
  const size_t csv_size = nul ? static_cast<size_t>(nul - data) : size;
  const auto dir = Scratch("log_run");
  std::filesystem::create_directories(dir);
  WriteRaw(dir / "config.yaml", std::vector<uint8_t>(RunConfigText().begin(), RunConfigText().end()));
  WriteRaw(dir / "progress.csv", std::vector<uint8_t>(data, data + csv_size));
  std::error_code ec;
  std::filesystem::remove(dir / "eval.json", ec);
  if (nul) WriteRaw(dir / "eval.json", std::vector<uint8_t>(nul + 1, data + size));
  try {
    const RunRecord r = ReadRun(dir);
    SummaryTable({r});
    PerRunCsv({r});
  } catch (const Error&) {
  }
  return 0;
}
#endif

const std::vector<Target>& AllTargets() {
  static const std::vector<Target> targets = [] {
    std::vector<Target> t = Targets();
#ifndef RATCHET_FUZZ_LIGHT
    t.insert(t.end(), {{"model_file", FuzzModelFile}, {"run_config", FuzzRunConfig}, {"run_logs", FuzzRunLogs},
                       {"trainer_payload", FuzzTrainerPayload}, {"search_space", FuzzSearchSpace},
                       {"tune_trials", FuzzTuneTrials}});
#endif
    return t;
  }();
  return targets;
}

const std::vector<Target>& Targets() {
  static const std::vector<Target> targets = {
      {"policy_file", FuzzPolicyFile}, {"checkpoint", FuzzCheckpoint}, {"preset_yaml", FuzzPresetYaml}};
  return targets;
}

}  // namespace ratchet::fuzz
