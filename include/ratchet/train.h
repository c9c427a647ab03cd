// Ratchet training: the resolved run configuration, the Trainer loop, evaluation and the model
// file.
#pragma once

#include <filesystem>
#include <functional>
#include <span>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ratchet/algo.h"
#include "ratchet/deploy.h"

namespace ratchet {

//---------------------------------- Run configuration -----------------------------------------

// A preset file holds one mapping per environment id plus an optional `default` mapping.
// The entry env_id gets: its own; else the same task's at another version (the newest below
// env_id's, else the oldest above: Hopper-v5 gets Hopper-v4's); else `default`; else "" (none).
// Throws Error for malformed YAML.
std::string PresetEntryFor(const std::string& yaml_text, const std::string& env_id, const std::string& source);
// The key/value pairs of env_id's entry (PresetEntryFor; empty if none). Sequences are returned
// as "a,b,c". Throws Error for malformed YAML.
std::vector<std::pair<std::string, std::string>> PresetFor(const std::string& yaml_text,
                                                           const std::string& env_id,
                                                           const std::string& source);
// The presets compiled from configs/<algo>.yaml, keyed by algorithm name.
const std::map<std::string, std::string>& EmbeddedPresets();

// A run's settings: the learner's (LearnerConfig) plus the trainer's own.
struct TrainConfig : LearnerConfig {
  // Each field's key, doc, check and traits: Bind (one Add line per field).
  std::string algo = "ppo";
  std::string env = "CartPole-v1";
  int64_t seed = 1;
  int64_t n_timesteps = 1000000;
  int threads = 2;
  int eval_episodes = 10;
  int64_t eval_every = 0;
  int checkpoint_every = 100;
  double checkpoint_minutes = 5;
  int checkpoint_keep = 2;
  int64_t stop_at = 0;
  std::optional<double> stop_at_return;
  std::string label;
  std::string env_kwargs;

  // Every settable key (the learner's and the trainer's; algo, env and seed are set apart).
  void Bind(ConfigBinder& b);
  const std::string& name() const { return label.empty() ? algo : label; }
  EnvKwargs kwargs() const { return ParseEnvKwargs(env_kwargs); }
  // Updates between periodic evaluations (0: none), for a run of `updates` updates.
  int EvalInterval(int updates) const;
  // Each key's check, then the checks across keys. Throws Error naming the problem.
  void Validate();
};

// Everything a run was started with: shared settings plus the algorithm's own.
struct RunConfig {
  TrainConfig train;
  std::unique_ptr<AlgoConfig> algo;
  // The plugin that registered train.env (its absolute path), empty for built-in environments
  // and environments registered by the program itself. Written to config.yaml as env_plugin, so
  // that LoadRunConfig (resume, eval, export, sweeps) loads it again.
  std::string env_plugin;
  // The replaced physics model the run trains on (EnvSpec::model_file; RATCHET_MODEL_DIR), empty
  // for the built-in one. Written as env_model; LoadRunConfig refuses a run whose model changed.
  std::string env_model;

  // A binder over every settable key of both (train.algo and train.env are not settable).
  // The binder points into this object: do not move the RunConfig while it is in use.
  ConfigBinder Binder();
  // "key: value" YAML, algo/env/seed first; LoadRunConfig reads it back.
  std::string ToYaml();
};

// One setting of an algorithm's runs, as declared: its key, built-in default (before any preset),
// one-line doc and traits; algorithm_specific: the algorithm's own (else every run has it).
struct SettingInfo {
  std::string key, default_value, doc;
  SettingTraits traits;
  bool algorithm_specific = false;
};
// Every setting of `algo`'s runs in declaration order (Error for an unknown algorithm).
std::vector<SettingInfo> Settings(const std::string& algo);
// "" (what a run trains), "budget", "replicate", "reporting" or "incidental" (docs/SETTINGS.md).
std::string SettingTraitsName(const SettingTraits& t);
// Every setting of every algorithm as a Markdown page (docs/SETTINGS.md; `ratchet config --reference`).
std::string SettingsReference();

struct ResolveOptions {
  std::string algo, env;
  std::optional<int64_t> seed, steps;
  std::string preset_path;         // empty: the preset compiled from configs/<algo>.yaml
  std::vector<std::string> sets;   // "key=value" overrides, applied last
  // The environment id whose preset entry applies (empty: env). A copy of a known environment
  // registered under another id (a Gymnasium CartPole-v1 instance from Python) takes its preset.
  std::string preset_env;
};

// Struct defaults <- preset entry for env (or its `default` entry) <- --set <- --seed/--steps.
// Validates the result; throws Error naming any problem.
RunConfig ResolveRunConfig(const ResolveOptions& opt);
// Which preset entry ResolveRunConfig(opt) applies, when it is not the environment's own: e.g.
// "Hopper-v4's entry of configs/ppo.yaml" for Hopper-v5; "" when it is the environment's own,
// there is none, or --config is a flat run config.
std::string BorrowedPresetEntry(const ResolveOptions& opt);
// Parses a run config as ToYaml writes it; `source` names it in messages.
RunConfig RunConfigFromYaml(const std::string& text, const std::string& source);
// Reads RUN_DIR/config.yaml as written by ToYaml. When the run's environment came from a plugin
// that is not loaded yet, loads it (LoadPlugin) first.
RunConfig LoadRunConfig(const std::filesystem::path& run_dir);

//---------------------------------- Evaluation ------------------------------------------------

// Acts as evaluation does: the observation through the frozen normaliser (when given), the
// policy's mode (deterministic) or a sample, Box actions clipped to the action space's bounds.
class Actor {
 public:
  Actor(const Policy& policy, const ObsNormalizer* norm, const Space& action_space);
  // The env action for one raw observation; valid until the next call.
  std::span<const float> Act(std::span<const float> raw_obs, bool deterministic, Rng& rng);

 private:
  const Policy& policy_;
  const ObsNormalizer* norm_;
  const Space& space_;
  std::vector<float> obs_, action_, env_action_;
  MlpWorkspace<float> ws_;
};

struct EvalResult {
  std::vector<double> returns;
  double mean = 0.0, std = 0.0;
  int cut = 0;               // episodes ended by max_steps rather than by the environment
  bool interrupted = false;  // `stop` asked to end early: returns holds the episodes finished
};

// An evaluation episode of an environment without a time limit ends after this many steps (as if
// truncated), so that evaluation cannot hang on a policy that keeps it going for ever.
inline constexpr int kDefaultEvalMaxSteps = 10000;

// How long evaluation episodes may run, and how to end an evaluation early.
struct EvalLimits {
  // The most steps of an episode (0: the environment's time limit, or kDefaultEvalMaxSteps when
  // it has none).
  int max_steps = 0;
  // Polled every 256 steps; returning true ends the evaluation (EvalResult::interrupted).
  std::function<bool()> stop;
  // The environment's keyword arguments (a run's env_kwargs).
  EnvKwargs env_kwargs;
};

// Runs `episodes` episodes on a fresh env; episode k is reset with seed + k. Deterministic
// evaluation takes the distribution's mode; stochastic evaluation samples from Rng(seed, 1).
// Observations pass through `norm` (frozen) when given.
EvalResult Evaluate(const Policy& policy, const std::string& env_id, int episodes, uint64_t seed,
                    bool deterministic, const ObsNormalizer* norm = nullptr, const EvalLimits& limits = {});

// What RecordGif rendered.
struct GifResult {
  double episode_return = 0;
  int steps = 0;           // steps of the episode
  int steps_rendered = 0;  // steps the GIF covers: all of them unless the episode outran max_frames
  int frames = 0;          // frames in the GIF (the reset state included)
  int every = 1;           // one frame every this many steps
  std::vector<double> returns;  // every episode's return (episode_return is the first's)
};

// Renders one deterministic episode (reset with `seed`) to an animated GIF of at most
// max_frames frames. A frame is taken every k steps, k chosen so that the GIF plays near real
// time (<= 25 fps) and a whole time-limited episode fits in max_frames; an episode without a
// time limit that outruns max_frames is rendered up to there (steps_rendered < steps). Throws
// Error when the environment cannot render.
// With episodes > 1, episode k (reset with seed + k) follows in the same GIF, max_frames each;
// steps and steps_rendered describe the first. An episode of an environment without a time limit
// ends after kDefaultEvalMaxSteps steps, as in evaluation.
GifResult RecordGif(const Policy& policy, const std::string& env_id, const ObsNormalizer* norm,
                    uint64_t seed, const std::filesystem::path& path, int width, int height,
                    int max_frames, int episodes = 1, const EnvKwargs& env_kwargs = {});

// Evaluation seeds start here, far from the training seeds seed + i.
inline constexpr uint64_t kEvalSeedBase = 1'000'000'000ULL;

//---------------------------------- Model file ------------------------------------------------

// model.bin: magic "RATCHETM", format version, policy and value parameter vectors, the
// observation normaliser (version 2 on), FNV-1a checksum. Written to a temporary file and
// renamed, so a crash never leaves half a model.
void SaveModel(const std::filesystem::path& path, const Policy& policy, const ValueFunction& value,
               const ObsNormalizer& norm);
// Throws Error for a missing file, wrong magic, newer version, size mismatch or bad checksum.
// norm may be null; a version-1 file leaves it disabled.
void LoadModel(const std::filesystem::path& path, Policy& policy, ValueFunction& value,
               ObsNormalizer* norm);

// A run directory's trained model: its config, networks and frozen observation normaliser.
struct TrainedModel {
  RunConfig cfg;
  EnvSpec spec;
  std::unique_ptr<Policy> policy;
  std::unique_ptr<ValueFunction> value;
  ObsNormalizer norm;
  // Empty when loaded from the model file; for a run without model.bin yet (still training, or
  // interrupted), the newest checkpoint it came from, e.g. "checkpoint ckpt-00000012.bin (update
  // 12 of 40)"; "initial policy (not trained yet)" for InitialModel.
  std::string source;
  // Environment steps the networks were trained for (from the newest checkpoint; 0 for the
  // initial model or a run without checkpoints).
  int64_t steps = 0;
};
// Reads RUN_DIR/config.yaml and RUN_DIR/model.bin; throws Error naming any problem.
// `model_file`: the model in run_dir to load, model.bin (the end of training) or best_model.bin
// (the best periodic evaluation). A run without model.bin but with a checkpoint (still training,
// or interrupted) gives the newest checkpoint's model, and says so in `source`. Throws Error
// naming what is missing.
TrainedModel LoadTrainedModel(const std::filesystem::path& run_dir, const std::string& model_file = "model.bin");

// The model Train starts from with cfg: the networks its seed initialises and a fresh (identity)
// observation normaliser. What a model can predict, evaluate or export before any training.
TrainedModel InitialModel(RunConfig cfg);
// Writes m into run_dir (which must exist) as LoadTrainedModel reads it: config.yaml and
// model.bin. For a model that was not trained into a run directory (InitialModel).
void SaveTrainedModel(TrainedModel& m, const std::filesystem::path& run_dir);

// The run's policy as a self-contained deployable file (.rpol, read by ratchet::DeployedPolicy):
// network, frozen observation normaliser, action space and clipping.
void ExportPolicy(const TrainedModel& m, const std::filesystem::path& path);
// What ExportPolicy writes: the deploy library's view of the model.
DeployedPolicy::Contents DeployContents(const TrainedModel& m);
// DeployContents, checked as every export checks it first: Error naming the problem for a
// non-finite parameter (policy or value network) or normaliser statistic.
DeployedPolicy::Contents CheckedDeployContents(const TrainedModel& m);
// The policy as C99 (header, source) with functions <name>_act and <name>_act_batch: no
// allocation, no dependency beyond <math.h>, the deploy library's operation order (equal to
// DeployedPolicy bit for bit when compiled with -ffp-contract=off for the ISA level of this
// build). `name` is made a C identifier; `origin` is named in the header comment.
std::pair<std::string, std::string> PolicyCSource(const DeployedPolicy::Contents& c, const std::string& name,
                                                  const std::string& origin);
// Writes <out without extension>.h and .c; the functions are named after out's stem.
void ExportC(const TrainedModel& m, const std::filesystem::path& out, const std::string& origin);
// The run's policy as an ONNX model (opset 13, IR version 7): one graph from the raw observation
// ("obs", float [batch, obs_dim]) to the deterministic action ("action": the mean clipped to the
// bounds, float [batch, act_dim], or the argmax of the logits, int64 [batch]), with the
// normaliser inside (computed in double, as training does), the distribution ("mean" and
// "log_std", or "logits") and the value ("value", [batch, 1]) as further outputs, and metadata
// (algo, env, ratchet_version, observation_space, action_space). OnnxPolicyBytes is the file.
std::string OnnxPolicyBytes(const TrainedModel& m);
void ExportOnnx(const TrainedModel& m, const std::filesystem::path& path);

//---------------------------------- Trainer ---------------------------------------------------

// What Train and Resume return.
struct TrainResult {
  int64_t steps = 0;
  int updates = 0;
  double wall_seconds = 0.0;
  bool stopped = false;            // stopped early (stop_at or a stop request) after a checkpoint
  std::string stop_reason;         // why, in words, when stopped (the first observer's reason)
  // Where this process's wall time went: stepping the environments (simulation), the rest of
  // collecting rollouts (policy and value forward passes, sampling, normalisation), and the
  // algorithm's updates (advantages included).
  double env_seconds = 0.0, collect_seconds = 0.0, update_seconds = 0.0;
  // Under MPI: the part of collecting spent exchanging environment results between ranks.
  double comm_seconds = 0.0;
  std::optional<EvalResult> eval;  // when eval_episodes > 0 and training finished
  // The same episodes (same seeds) with actions sampled from the policy instead of its mode: the
  // stochastic evaluation some published results report.
  std::optional<EvalResult> eval_stochastic;
  std::optional<double> best_eval;  // the best periodic evaluation so far (its model: best_model.bin)
};

// After each update, what the observers of a run see. Every rank of an MPI job holds the whole
// rollout and runs the same update, so every rank notifies its observers alike; `lead` (rank 0)
// alone writes files and prints.
struct UpdateEvent {
  int update = 0;      // this update, from 1
  int updates = 0;     // the run's last update
  int64_t steps = 0;   // environment steps trained, this update's included
  int64_t total_steps = 0;  // steps at the last update
  bool lead = true;
  // The progress.csv row (ProgressColumns() order, NaN: not defined this update): the trainer's
  // measurements and the update's statistics; the periodic evaluation adds its columns before
  // any other observer sees the row.
  std::span<double> row;
  const UpdateStats* stats = nullptr;
  const Algorithm* algo = nullptr;
  const ObsNormalizer* normalizer = nullptr;
  // What observers ask of the loop: stop after a checkpoint (any rank asking stops every rank),
  // write a checkpoint now (rank 0's request counts, as its clock does). Stop(why) also says why
  // (TrainResult::stop_reason; the first reason given counts).
  bool stop = false, checkpoint = false;
  std::string stop_reason;
  void Stop(std::string why) {
    if (!stop || stop_reason.empty()) stop_reason = std::move(why);
    stop = true;
  }
};

// One interface for everything that watches a run: the trainer's own evaluation, logs (CSV,
// JSONL, TensorBoard), progress line, stop conditions and checkpoint clock are observers, and so
// are a library user's (TrainOptions::observers) and Python's callback. Observers are notified in
// order; an exception stops training (the checkpoints written so far stay).
class TrainObserver {
 public:
  virtual ~TrainObserver() = default;
  // Once advantages and returns are computed, just before the update that reads the rollout.
  virtual void OnRollout(const Rollout&) {}
  // After every update.
  virtual void OnUpdate(UpdateEvent&) {}
  // After every checkpoint written.
  virtual void OnCheckpoint(const UpdateEvent&) {}
  // When training ends: finished, or stopped after a checkpoint (res.stopped). Not called when
  // training fails (an exception leaves Train/Resume).
  virtual void OnEnd(const TrainResult&) {}
};

struct TrainOptions {
  std::ostream* progress = nullptr;  // live progress line; null: silent
  bool progress_is_tty = false;      // redraw one line with \r instead of printing lines
  int progress_width = 0;            // the terminal's columns: the line is fitted to them (0: any)
  // Called after every update with its progress.csv row (in ProgressColumns() order). Returning
  // false stops training after a checkpoint, as RequestStop does; an exception it throws
  // propagates out of Train/Resume (the checkpoints written so far stay).
  std::function<bool(std::span<const double> row)> on_update;
  // Called with every rollout once its advantages and returns are computed, just before the
  // update that reads it (on every rank; each holds the whole rollout). For inspection: the
  // rollout is only lent for the call.
  std::function<void(const Rollout& rollout)> on_rollout;
  // Polled during evaluations (every 256 steps); returning true abandons the evaluation and stops
  // training with a checkpoint, as RequestStop does (which is also heeded there). For a caller
  // whose interrupts arrive between updates only (Python's Ctrl-C). Not under MPI, where every
  // rank must evaluate alike.
  std::function<bool()> poll_stop;
  // Resume only: schedules (lin_X) start again from their initial value at the checkpoint and
  // reach 0 at the new total, as Stable-Baselines3's learn(reset_num_timesteps=True) does; by
  // default they continue from where they are.
  bool restart_schedules = false;
  // Resume only: told (once, on rank 0) when the environments could not be restored from the
  // checkpoint and start new episodes, so the continuation is not bit-identical; null: the
  // message goes to stderr as one "warning: ..." line.
  std::function<void(const std::string& message)> on_warning;
  // Further observers, notified after the trainer's own (evaluation, logs, progress line) and
  // the callbacks above, in this order. Not owned; they must outlive Train/Resume.
  std::vector<TrainObserver*> observers;
  // The ranks that train together (their environment copies split between them, every update
  // replicated, so the result is bit for bit that of one process); null: World(), which is this
  // process alone unless it was started by mpirun. Only rank 0 writes the run directory and
  // prints progress; every rank must call Train/Resume with the same arguments.
  Comm* comm = nullptr;
};

// What a directory holds, as far as training into it is concerned.
struct RunDirStatus {
  bool exists = false;
  bool empty = false;  // nothing in it but a lock and a Python run's python_env.json
  bool ours = false;   // Train made it (its marker, .ratchet-run, is the first file Train writes)
  bool has_checkpoint = false, has_model = false;
  std::string in_use;  // non-empty: another process trains there (the message names its pid)
  // Train may start (again) here: it is empty, or a run Train made that stopped before its first
  // checkpoint. Any other directory is never written into by Train.
  bool restartable() const { return exists && !has_checkpoint && !has_model && (empty || ours); }
};
RunDirStatus InspectRunDir(const std::filesystem::path& dir);

// A directory in use is locked: DIR/.lock is held with flock (released by the kernel when the
// process dies, kill -9 included) and holds the holder's pid for the message. Train and resume
// lock their run directory, a tune session its --out.
class RunDirLock {
 public:
  // Throws Error naming the directory and the holder's pid when another process holds it.
  // `what` names the directory, `users` the processes that may hold it, in the message.
  explicit RunDirLock(const std::filesystem::path& dir, const char* what = "run directory",
                      const char* users = "another train or resume");
  ~RunDirLock();
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

 private:
  int fd_ = -1;
};

// Trains from scratch into run_dir (which must exist; a run stopped there before its first
// checkpoint is started again, anything with a checkpoint or a model is refused). The directory
// is locked while training: a second process refuses with the holder's pid: writes config.yaml first, a progress.csv
// row per update, checkpoints every checkpoint_every updates (in run_dir/checkpoints), and
// model.bin at the end.
TrainResult Train(RunConfig& cfg, const std::filesystem::path& run_dir, const TrainOptions& opt);

// Continues the run in run_dir from its newest checkpoint: training S steps, stopping, then
// resuming gives bit-identical parameters and progress.csv rows (wall time excepted) to an
// uninterrupted run. Rows written after that checkpoint are dropped first. config.yaml must still
// say what the checkpoint was trained with (an edit is refused, naming the key). `steps`
// (optional) changes n_timesteps; stop_at is cleared. Schedules (lin_X) then continue from their
// current value down to 0 at the new total instead of jumping back: after resuming at step s0
// with remaining fraction p0, the remaining fraction at step s is p0 (N' - s) / (N' - s0). Throws Error naming the problem (no checkpoint, wrong
// magic, newer version, truncated, checksum mismatch); nothing is overwritten then.
TrainResult Resume(const std::filesystem::path& run_dir, const TrainOptions& opt,
                   std::optional<int64_t> steps = std::nullopt);

// Asks a running Train/Resume to write a checkpoint and return after the current update
// (async-signal-safe: the CLI calls it from its SIGINT/SIGTERM handler).
void RequestStop();

//---------------------------------- Golden bits -----------------------------------------------

// A short training run whose every bit is recorded in the library: its preset settings, one
// seed, `updates` updates, a final evaluation of 2 episodes. Every machine of the recorded build
// (GoldenBuildMismatch() empty) must reproduce the digests exactly.
struct GoldenRun {
  std::string algo, env;
  int updates = 3;
};
// FNV-1a hashes of what a golden run computed.
struct GoldenDigest {
  uint64_t rollout = 0;   // the first rollout: observations, actions, log-probabilities, values,
                          // rewards, episode ends, bootstrap values, advantages and returns
  uint64_t update = 0;    // the first update's statistics (its progress.csv row, wall time excepted)
  uint64_t progress = 0;  // every progress row (wall time excepted) and the evaluation's returns
  uint64_t model = 0;     // the bytes of model.bin
  bool operator==(const GoldenDigest&) const = default;
  // "rollout 0123456789abcdef update ... progress ... model ..."
  std::string ToString() const;
};
struct GoldenEntry {
  GoldenRun run;
  GoldenDigest digest;
};
// The recorded runs: every algorithm on CartPole-v1 and on HalfCheetah-v4.
const std::vector<GoldenEntry>& GoldenBits();
// Trains `run` into `dir` (created; must not hold a run) with `threads` worker threads and
// returns its digest. The digest does not depend on the thread count.
GoldenDigest RunGolden(const GoldenRun& run, const std::filesystem::path& dir, int threads = 1);
// Empty when this build is the kind the golden bits were recorded with (portable x86-64-v3);
// otherwise why its bits are not comparable.
std::string GoldenBuildMismatch();

// What this build is and what it runs on, for bug reports and for comparing numbers: the version,
// ISA level, compiler and flags, library versions, the Debian packages it was built against and,
// with `machine`, this CPU and the cache sizes Eigen plans products with.
std::string BuildReport(bool machine);

// The columns of progress.csv, in order.
const std::vector<std::string>& ProgressColumns();
// The index of a column by name (an unknown name is an internal error).
size_t ProgressColumn(const std::string& name);

}  // namespace ratchet
