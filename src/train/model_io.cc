#include <fmt/format.h>

#include "core/file.h"
#include "ratchet/bytes.h"
#include "ratchet/train.h"
#include "train/checkpoint.h"
#include "train/trainer_state.h"

namespace ratchet {
namespace {

constexpr Magic kModelMagic = {'R', 'A', 'T', 'C', 'H', 'E', 'T', 'M'};
constexpr uint32_t kModelVersion = 2;  // 2: adds the observation normaliser

}  // namespace

namespace {

// The model file's body, in both directions (format 1 has no normaliser).
void SerializeModel(Archive& ar, std::span<float> policy, std::span<float> value, ObsNormalizer& norm) {
  ar(policy, "policy parameter");
  ar(value, "value parameter");
  if (ar.version() < 2) return;
  uint8_t enabled = norm.enabled;
  ar(enabled);
  norm.enabled = enabled != 0;
  ar.Checked<double>(norm.clip, "normaliser clip", 0.0, 1e30);
  norm.Serialize(ar);
}

// A saving archive only reads: the parameters of a const network may go through it.
std::span<float> Writable(std::span<const float> s) { return {const_cast<float*>(s.data()), s.size()}; }

}  // namespace

void SaveModel(const std::filesystem::path& path, const Policy& policy, const ValueFunction& value,
               const ObsNormalizer& norm) {
  ByteWriter w;
  Archive ar(w, kModelVersion);
  ObsNormalizer saved = norm;
  SerializeModel(ar, Writable(policy.params()), Writable(value.params()), saved);
  WriteFileAtomically(path, Frame(kModelMagic, kModelVersion, w.buf), "model file");
}

void LoadModel(const std::filesystem::path& path, Policy& policy, ValueFunction& value,
               ObsNormalizer* norm) {
  const std::vector<uint8_t> bytes = ReadWholeFile(path, "model file");
  const std::string name = path.string();
  const Unframed u = Unframe(bytes, kModelMagic, kModelVersion, name, "model file");
  ByteReader r(u.body, "'" + name + "'");
  Archive ar(r, u.version);
  ObsNormalizer loaded(policy.obs_dim(), false, 10.0);
  SerializeModel(ar, policy.params(), value.params(), loaded);
  r.ExpectEnd();
  for (const auto& [params, what] : {std::pair{std::span<const float>(policy.params()), "policy"},
                                     std::pair{std::span<const float>(value.params()), "value"}})
    for (float p : params)
      if (!std::isfinite(p))
        throw Error(fmt::format("'{}' holds a non-finite {} parameter: the run diverged; it cannot be "
                                "evaluated or exported", name, what));
  if (norm != nullptr) *norm = loaded;
}

namespace {

// The model of run_dir's newest checkpoint: the learner and the collector are rebuilt from the
// configuration the checkpoint holds and restored as a resume would, but for the environment
// copies' states (which an environment that saves none does not have).
void FromCheckpoint(const std::filesystem::path& run_dir, TrainedModel* m) {
  const LoadedCheckpoint ck = LoadLatestCheckpoint(run_dir);
  const RunConfig saved = RunConfigFromYaml(ck.config_yaml, ck.path.string());
  const TrainConfig& tc = saved.train;
  VectorEnv venv(tc.env, tc.n_envs);
  const Rng root(static_cast<uint64_t>(tc.seed));
  std::unique_ptr<Algorithm> algo = FindAlgorithm(tc.algo).make(*saved.algo, venv.spec(), tc, root.Split(1), nullptr);
  Collector collector(algo->policy(), algo->value(), venv, tc.collector(), root.Split(2));
  TrainerProgress p;
  ReadTrainerPayload(ck.payload, ck.version, tc, collector, *algo, &p, /*environments=*/false);
  m->policy = std::make_unique<Policy>(algo->policy());
  m->value = std::make_unique<ValueFunction>(algo->value());
  m->norm = collector.normalizer();
  const int64_t per = tc.rollout_steps();
  m->source = fmt::format("checkpoint {} (update {} of {}, {} steps)", ck.path.filename().string(), p.updates,
                          m->cfg.train.n_timesteps / per, p.steps);
  m->steps = p.steps;
}

// The steps of run_dir's newest checkpoint (the counters that open its payload), 0 when none.
int64_t CheckpointSteps(const std::filesystem::path& run_dir) {
  if (LatestCheckpointPath(run_dir).empty()) return 0;
  const LoadedCheckpoint ck = LoadLatestCheckpoint(run_dir);
  ByteReader r(ck.payload, ck.path.string());
  r.Get<int>();  // updates
  const int64_t steps = r.Get<int64_t>();
  if (steps < 0) throw Error(fmt::format("checkpoint '{}' is corrupt: {} steps", ck.path.string(), steps));
  return steps;
}

}  // namespace

void SaveTrainedModel(TrainedModel& m, const std::filesystem::path& run_dir) {
  WriteFileAtomically(run_dir / kRunMarker, kRunMarkerText, "run marker");  // a run directory Ratchet made
  WriteFileAtomically(run_dir / "config.yaml", m.cfg.ToYaml(), "run config");
  SaveModel(run_dir / "model.bin", *m.policy, *m.value, m.norm);
}

TrainedModel InitialModel(RunConfig cfg) {
  TrainedModel m;
  m.spec = EnvSpecOf(cfg.train.env, cfg.train.kwargs());
  const TrainConfig& tc = cfg.train;
  // as Train builds it: the algorithm's generator is the seed's stream 1
  const Rng root(static_cast<uint64_t>(tc.seed));
  const std::unique_ptr<Algorithm> algo = FindAlgorithm(tc.algo).make(*cfg.algo, m.spec, tc, root.Split(1), nullptr);
  m.policy = std::make_unique<Policy>(algo->policy());
  m.value = std::make_unique<ValueFunction>(algo->value());
  m.norm = ObsNormalizer(m.spec.observation_space.flat_dim(), tc.normalize_obs, tc.clip_obs);
  m.source = "initial policy (not trained yet)";
  m.cfg = std::move(cfg);
  return m;
}

TrainedModel LoadTrainedModel(const std::filesystem::path& run_dir, const std::string& model_file) {
  TrainedModel m;
  m.cfg = LoadRunConfig(run_dir);
  m.spec = EnvSpecOf(m.cfg.train.env, m.cfg.train.kwargs());
  if (model_file == "model.bin" && !std::filesystem::exists(run_dir / model_file) &&
      !LatestCheckpointPath(run_dir).empty()) {
    FromCheckpoint(run_dir, &m);
    return m;
  }
  m.policy = std::make_unique<Policy>(m.spec.observation_space, m.spec.action_space, m.cfg.train.net);
  m.value = std::make_unique<ValueFunction>(m.spec.observation_space.flat_dim(), m.cfg.train.net);
  if (model_file == "best_model.bin" && !std::filesystem::exists(run_dir / model_file) &&
      std::filesystem::exists(run_dir / "config.yaml"))
    throw Error(fmt::format("'{}' has no best_model.bin: it is written at the first periodic evaluation (eval_every "
                            "not negative, eval_episodes above 0)", run_dir.string()));
  LoadModel(run_dir / model_file, *m.policy, *m.value, &m.norm);
  m.steps = CheckpointSteps(run_dir);
  return m;
}

}  // namespace ratchet
