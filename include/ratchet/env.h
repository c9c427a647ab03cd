// Ratchet environments: spaces, the Env interface, the registry and the vectorized environment.
//
// Actions travel as float vectors for both space kinds: a Box action of dimension D is D floats;
// a Discrete action is one float holding the index (exact for any supported n).
#pragma once

#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
#include <span>
#include <string>
#include <vector>

#include "ratchet/bytes.h"
#include "ratchet/comm.h"
#include "ratchet/core.h"

namespace ratchet {

//---------------------------------- Spaces ----------------------------------------------------

struct Space {
  enum class Kind { kBox, kDiscrete };
  Kind kind = Kind::kBox;
  int n = 0;                          // Discrete: number of actions
  std::vector<float> low, high;       // Box: bounds, one per dimension (may be +-inf)

  static Space Box(std::vector<float> low, std::vector<float> high);
  static Space Discrete(int n);
  bool is_discrete() const { return kind == Kind::kDiscrete; }
  // Floats one element of the space occupies: D for Box, 1 for Discrete.
  int flat_dim() const { return is_discrete() ? 1 : static_cast<int>(low.size()); }
  std::string ToString() const;  // "Discrete(2)" or "Box(4)"
};

struct EnvSpec {
  std::string id;
  Space observation_space;
  Space action_space;
  int max_episode_steps = 0;               // 0: no time limit
  std::optional<double> reward_threshold;  // the registry's "solved" return
  double dt = 0.0;                         // simulated seconds per step (0: unknown)
  std::string model_file;                  // a replaced physics model: "path fnv1a:hex"; empty: built-in
};

// Keyword arguments of an environment's constructor (Gymnasium's make(id, **kwargs)), each value
// as text: a number ("0.2", "inf"), a boolean ("true"), a pair or list ("[0.2, 1.0]") or a string
// ("ant.xml"). An environment reads the keys it knows and refuses any other one.
using EnvKwargs = std::map<std::string, std::string>;

struct StepResult {
  double reward = 0.0;
  bool terminated = false;  // the MDP reached a terminal state: do not bootstrap
  bool truncated = false;   // cut by a time limit: bootstrap from the final observation
};

// Named quantities of the last step (reward terms, positions), for tests and logs.
struct StepInfo {
  std::vector<std::pair<std::string, double>> items;
  // Named vectors (MuJoCo's tendon lengths, say), after the scalars.
  std::vector<std::pair<std::string, std::vector<double>>> arrays;
  // Sets or adds `name`; allocates only the first time a name appears.
  void Set(const char* name, double value);
  void SetArray(const char* name, std::span<const double> values);
  void Clear() { items.clear(); arrays.clear(); }
  // Throws Error when the name is absent.
  double Get(const std::string& name) const;
};

//---------------------------------- Env -------------------------------------------------------

// Thrown by Env::RestoreState for a saved state that is valid but cannot be restored in this
// process; VectorEnv::Restore then starts new episodes instead (see VectorEnv::restart_note).
class StateUnavailable : public Error {
 public:
  using Error::Error;
};

// The interface every environment implements. Most environments derive from EnvBase (below),
// which supplies seeding, state saving and action checks; implement Env directly only when you
// need full control.
class Env {
 public:
  virtual ~Env() = default;
  virtual const EnvSpec& spec() const = 0;
  // Reseeds the environment's generator with `seed` and starts an episode.
  virtual void Reset(uint64_t seed, std::span<float> obs) = 0;
  // Starts an episode, continuing the current random stream.
  virtual void Reset(std::span<float> obs) = 0;
  // Advances one step. Throws Error for an action outside the action space.
  virtual StepResult Step(std::span<const float> action, std::span<float> obs) = 0;
  // Options for the next Reset only (Gymnasium's reset(options=...)): the classic tasks take
  // Gymnasium's (low/high, Pendulum's x_init/y_init). Throws Error for options the environment
  // does not take; the default takes none.
  virtual void SetResetOptions(const EnvKwargs& options);
  // Whether SaveState/RestoreState are supported. Without them an environment still trains,
  // evaluates and exports, and a resumed run starts new episodes in its copies (with a warning
  // that the continuation is not bit-identical to an uninterrupted run).
  virtual bool can_save_state() const { return false; }
  // Everything needed to continue bit-exactly: physics state, counters and generator state.
  // The default throws Error saying the environment does not save its state.
  virtual std::vector<uint8_t> SaveState() const;
  // Throws Error when the bytes are not a state of this environment, and StateUnavailable when
  // they are but cannot be restored here (a live object kept by another process).
  virtual void RestoreState(std::span<const uint8_t> state);
  // Named quantities of the last Step; empty unless the environment reports some.
  virtual const StepInfo& info() const;
  // Draws the current state into rgb (height, width, 3; rows top-down). Throws Error when the
  // environment has no renderer.
  virtual void Render(int width, int height, std::vector<uint8_t>* rgb);
};

// An environment saves and restores its own state in one function, EnvBase::Serialize, through an
// Archive (ratchet/bytes.h): `ar(x)` writes x when saving and reads it back when restoring, so one
// list of fields serves both. Fields are trivially copyable values, std::vector of them (the size
// is saved), or std::span of them (fixed size, checked on restore).
using StateArchive = Archive;

// The base of an environment: the author supplies the spec, OnReset, OnStep and (for exact
// resume) Serialize. EnvBase owns the generator (seeded by Reset(seed), saved with the state),
// counts steps, checks every action against the action space before OnStep sees it, and checks
// that observations and rewards are finite.
//
//   class PointMass final : public ratchet::EnvBase {
//    public:
//     PointMass() : EnvBase(MakeSpec()) {}
//    protected:
//     void OnReset(std::span<float> obs) override { x_ = rng().Uniform(-1, 1); obs[0] = x_; }
//     ratchet::StepResult OnStep(std::span<const float> a, std::span<float> obs) override {...}
//     void Serialize(ratchet::StateArchive& ar) override { ar(x_); }
//    private:
//     double x_ = 0;
//   };
class EnvBase : public Env {
 public:
  explicit EnvBase(EnvSpec spec);
  const EnvSpec& spec() const override { return spec_; }
  void Reset(uint64_t seed, std::span<float> obs) final;
  void Reset(std::span<float> obs) final;
  StepResult Step(std::span<const float> action, std::span<float> obs) final;
  bool can_save_state() const final;
  std::vector<uint8_t> SaveState() const final;
  void RestoreState(std::span<const uint8_t> state) final;

  // Steps since the episode began, and since the environment was built.
  int64_t episode_steps() const { return episode_steps_; }
  int64_t total_steps() const { return total_steps_; }

 protected:
  // Starts an episode: draw the initial state from rng() and write the first observation.
  virtual void OnReset(std::span<float> obs) = 0;
  // One step with an action already checked against the action space (a Discrete action is a
  // whole number in [0, n); a Box action has the right size and finite values, not clipped).
  virtual StepResult OnStep(std::span<const float> action, std::span<float> obs) = 0;
  // Lists the environment's own state (positions, velocities, counters of its own) with ar(x);
  // the generator and step counters are saved by EnvBase. The default has none to save:
  // training still works, resuming a checkpoint is refused.
  virtual void Serialize(StateArchive& ar);

  Rng& rng() { return rng_; }
  EnvSpec spec_;

 private:
  Rng rng_;
  int64_t episode_steps_ = 0, total_steps_ = 0;
  mutable int can_save_ = -1;  // -1: not probed yet
};

// Truncates episodes after max_steps steps (Gymnasium's TimeLimit: the max_steps-th step returns
// truncated = true; terminated and truncated may both be true).
class TimeLimit final : public Env {
 public:
  // max_steps <= 0: no limit. spec (optional) replaces the inner environment's spec, as the
  // registry does to give an environment the id and limits it was registered with. The output of
  // an environment that is not an EnvBase is checked here as EnvBase checks its own: a finite
  // observation, a finite reward that fits in a float (Error naming the id, step and value).
  TimeLimit(std::unique_ptr<Env> env, int max_steps, std::optional<EnvSpec> spec = std::nullopt);
  const EnvSpec& spec() const override { return spec_ ? *spec_ : env_->spec(); }
  void Reset(uint64_t seed, std::span<float> obs) override;
  void Reset(std::span<float> obs) override;
  StepResult Step(std::span<const float> action, std::span<float> obs) override;
  void SetResetOptions(const EnvKwargs& options) override { env_->SetResetOptions(options); }
  bool can_save_state() const override { return env_->can_save_state(); }
  std::vector<uint8_t> SaveState() const override;
  void RestoreState(std::span<const uint8_t> state) override;
  const StepInfo& info() const override { return env_->info(); }
  void Render(int width, int height, std::vector<uint8_t>* rgb) override { env_->Render(width, height, rgb); }
  int elapsed() const { return elapsed_; }
  Env& inner() { return *env_; }

 private:
  std::unique_ptr<Env> env_;
  int max_steps_;
  int elapsed_ = 0;
  std::optional<EnvSpec> spec_;
  bool check_;  // the inner environment's output is not checked by EnvBase: check it here
};

//---------------------------------- Registry --------------------------------------------------

// Built-in environments live in a table compiled into Ratchet; RegisterEnv adds your own at run
// time, and a registered environment gets everything a built-in one gets (training, resume,
// evaluation, GIFs, export, sweeps, `ratchet envs`).

using EnvFactory = std::function<std::unique_ptr<Env>()>;

struct EnvOptions {
  int max_episode_steps = -1;              // the TimeLimit; -1: the env spec's value (0: none)
  std::optional<double> reward_threshold;  // the "solved" return; unset: the env spec's value
  std::string description;                 // one line for `ratchet envs`
};

// Registers `id`: the factory builds one unwrapped copy (MakeEnv adds the TimeLimit). The factory
// is called once here to check its spec: spaces must be non-empty, Box bounds ordered and not
// NaN, the observation space a Box. Throws Error for an empty or malformed id, an id already
// registered (built-in or not), a factory that throws, or an invalid spec. Thread-safe.
void RegisterEnv(const std::string& id, EnvFactory factory, EnvOptions options = {});
// Removes a runtime registration; false when `id` is not one (built-ins cannot be removed).
bool UnregisterEnv(const std::string& id);
// Creates a registered environment, wrapped in its TimeLimit: the registered one, or
// max_episode_steps when it is 0 (none) or positive (Gymnasium's make(..., max_episode_steps)).
// kwargs go to the environment's constructor (the MuJoCo v5 tasks take Gymnasium's: xml_file,
// frame_skip, the reward weights, ...); an environment registered with RegisterEnv takes none.
// Throws Error for an unknown id (listing the known ones) or a keyword the environment refuses.
std::unique_ptr<Env> MakeEnv(const std::string& id, int max_episode_steps = -1, const EnvKwargs& kwargs = {});
// The registered ids, built-in first, then runtime registrations in registration order.
std::vector<std::string> ListEnvs();
// The spec of a registered id (with the registered id and limits), made with `kwargs`.
EnvSpec EnvSpecOf(const std::string& id, const EnvKwargs& kwargs = {});
// "{a: 1, b: [0, 1]}" (keys in order), and its inverse; "" and "{}" are no arguments. Throws
// Error for text that is not such a map.
std::string FormatEnvKwargs(const EnvKwargs& kwargs);
EnvKwargs ParseEnvKwargs(const std::string& text);
// Where an id comes from: "" for built-ins and environments registered by the program itself,
// the absolute path of the plugin that registered it otherwise. Throws Error for an unknown id.
std::string EnvSourceOf(const std::string& id);
// One-line description ("" when none). Throws Error for an unknown id.
std::string EnvDescriptionOf(const std::string& id);

// The MuJoCo library the MuJoCo environments run on: its version at run time and the version of
// the headers they were compiled against ("2.2.2 (headers 222)").
std::string MujocoVersion();
// The simulator state (qpos, qvel) of a built-in MuJoCo environment, seen through its wrappers
// (TimeLimit); nullopt for any other environment. Gymnasium's MuJoCo tasks take the same pair in
// set_state(qpos, qvel), which is how the alignment tests start both from equal states.
struct MujocoStateVectors {
  std::vector<double> qpos, qvel;
};
std::optional<MujocoStateVectors> MujocoState(Env& env);

//---------------------------------- Plugins ---------------------------------------------------

// A plugin is a shared library defining the entry point below, which registers environments with
// RegisterEnv:
//
//   #include <ratchet/env.h>
//   RATCHET_PLUGIN() { ratchet::RegisterEnv("PointMass-v0", [] { return std::make_unique<PointMass>(); }); }
//
// Build it against the installed ratchet::ratchet target so that it shares the host's library.
#define RATCHET_PLUGIN_ENTRY ratchet_plugin_register_v1
#define RATCHET_PLUGIN() extern "C" __attribute__((visibility("default"))) void RATCHET_PLUGIN_ENTRY()

// Loads a plugin and runs its entry point once; loading the same file again does nothing.
// Environments it registers record the plugin's absolute path (EnvSourceOf). Throws Error for a
// missing or unloadable file, a library without the entry point, or an entry point that fails
// (a duplicate id, say); the environments it registered before failing are removed again.
void LoadPlugin(const std::string& path);
// The absolute paths of the plugins loaded so far, in load order.
std::vector<std::string> LoadedPlugins();

//---------------------------------- VectorEnv -------------------------------------------------

// Statistics of one finished episode.
struct EpisodeStat {
  int env = 0;          // which copy
  double ret = 0.0;     // undiscounted return
  int length = 0;       // steps
};

// N copies of one environment stepped together (EnvPool's contract). Copy i is seeded with
// seed + i at the first Reset. A copy whose episode ends is reset within the same Step: its row
// of `obs` then holds the first observation of the new episode, and final_obs(i) holds the last
// observation of the finished one. Threaded stepping gives bitwise the same results as serial.
//
// With a communicator of K ranks the copies are split over the ranks (rank r simulates copies
// [N r / K, N (r + 1) / K)), and every Step and Reset hands each rank every copy's results, so
// the outputs are bit for bit those of one process with N copies. Every rank must then call
// Reset, Step, Save and Restore together (they are collective).
class VectorEnv {
 public:
  // Builds num_envs copies of env `id`. pool may be null (serial); it is not owned. comm may be
  // null (one process); it is not owned. max_episode_steps and kwargs: as MakeEnv's.
  VectorEnv(const std::string& id, int num_envs, ThreadPool* pool = nullptr, Comm* comm = nullptr,
            int max_episode_steps = -1, const EnvKwargs& kwargs = {});

  int num_envs() const { return n_; }
  const EnvSpec& spec() const { return envs_[0]->spec(); }
  int obs_dim() const { return obs_dim_; }
  int act_dim() const { return act_dim_; }
  // The copies this process simulates: [first_local(), first_local() + num_local()).
  int first_local() const { return lo_; }
  int num_local() const { return static_cast<int>(envs_.size()); }

  // obs: (N, obs_dim) row-major, i.e. copy i's observation at obs[i * obs_dim].
  void Reset(uint64_t seed, std::span<float> obs);
  // Options for the next Reset or ResetAll of every copy this process simulates (Env's).
  void SetResetOptions(const EnvKwargs& options);
  // Starts a new episode in every copy without reseeding (each copy's generator goes on); the
  // episodes in progress end unreported.
  void ResetAll(std::span<float> obs);
  // actions (N, act_dim); writes obs (N, obs_dim), rewards (N), terminated (N), truncated (N).
  // Copies whose `skip` entry is non-zero (empty: none) are not stepped: their observation row
  // stays, reward 0, flags false (Gymnasium's next-step autoreset, whose reset step takes no action).
  void Step(std::span<const float> actions, std::span<float> obs, std::span<float> rewards,
            std::span<uint8_t> terminated, std::span<uint8_t> truncated, std::span<const uint8_t> skip = {});
  // The last observation of copy i's episode that ended in the latest Step.
  std::span<const float> final_obs(int i) const {
    return {final_obs_.data() + static_cast<size_t>(i) * obs_dim_, static_cast<size_t>(obs_dim_)};
  }
  // The latest Step's rewards as the environments returned them (double; Step's are float), for
  // this process's copies (the others' rows are 0).
  std::span<const double> rewards64() const { return reward64_; }
  // Episodes finished since the last call, in copy order within each Step.
  std::vector<EpisodeStat> TakeEpisodeStats();
  // The same, appended to `out` (the internal list keeps its capacity: a collector calling this
  // every step allocates nothing once warm).
  void MoveEpisodeStats(std::vector<EpisodeStat>& out);

  // Copy i, which must be one this process simulates.
  Env& env(int i);

  // Every copy's state and its running episode statistics, for checkpoints. The bytes do not
  // depend on how the copies are split, so a checkpoint resumes under any number of ranks.
  // Loading with `environments` false reads the copies' states past without restoring them (what
  // a model needs from a checkpoint: an environment that saves no state is no obstacle).
  // When a copy cannot be restored (its environment saves no state, or its state is a live
  // object of another process), no copy is: restart_note() then says why, and the caller must
  // Reset every copy (collective) before stepping.
  void Serialize(Archive& ar, bool environments = true);
  const std::string& restart_note() const { return restart_note_; }

  // Seconds spent simulating this process's copies, and exchanging results with the other ranks.
  double sim_seconds() const { return sim_seconds_; }
  double comm_seconds() const { return comm_seconds_; }

  // kAuto threads a step only when the first steps show it pays; kAlways/kNever force it (for
  // tests and benchmarks). The results are the same bits in every mode.
  enum class Threading { kAuto, kAlways, kNever };
  void set_threading(Threading t) { threading_ = t; }

 private:
  // Reset (seed != null: copy i with *seed + i) or ResetAll (null).
  void ResetCopies(const uint64_t* seed, std::span<float> obs);
  // Steps the local copies, writing their rows of the outputs.
  void StepLocal(std::span<const float> actions, std::span<float> obs, std::span<float> rewards,
                 std::span<uint8_t> terminated, std::span<uint8_t> truncated, std::span<const uint8_t> skip);
  // Hands every rank the other ranks' rows (and their errors, thrown on every rank).
  void Exchange(const std::string& error, std::span<float> obs, std::span<float> rewards,
                std::span<uint8_t> terminated, std::span<uint8_t> truncated, bool stepped);

  std::vector<std::unique_ptr<Env>> envs_;  // the local copies lo_ .. lo_ + envs_.size() - 1
  ThreadPool* pool_;
  Comm* comm_;
  int n_ = 0, lo_ = 0;
  int obs_dim_, act_dim_;
  std::vector<float> final_obs_;  // every copy's (N rows)
  std::vector<double> ep_return_, reward64_;
  std::vector<int> ep_length_;
  std::vector<uint8_t> finished_;  // per copy, set by the latest Step
  std::vector<EpisodeStat> stats_;
  std::vector<std::exception_ptr> step_errors_;  // the threaded step's errors, one slot per copy
  std::string restart_note_;  // set by Restore when the copies must start new episodes
  double sim_seconds_ = 0.0, comm_seconds_ = 0.0;
  ByteWriter exchange_out_;  // Exchange's buffers, kept between steps
  std::vector<uint8_t> exchange_in_;
  std::vector<size_t> exchange_offsets_;
  // whether threads pay off, decided by timing the first steps (never changes results)
  Threading threading_ = Threading::kAuto;
  int calibration_steps_ = 0;
  double calibration_seconds_ = 0.0;
  bool parallel_ = false;
};

//---------------------------------- Normalisation wrappers ------------------------------------

// Running mean and variance of a vector stream (Chan et al.'s parallel update, in double), as
// Stable-Baselines3's RunningMeanStd: starts from mean 0, var 1, count 1e-4.
struct RunningMeanStd {
  std::vector<double> mean, var;
  double count = 1e-4;

  explicit RunningMeanStd(int dim = 0) : mean(dim, 0.0), var(dim, 1.0) {}
  // Folds in n rows of x (n, dim), row-major.
  void Update(std::span<const float> x, int n);
};

// Observation normalisation: (x - mean) / sqrt(var + 1e-8), clipped to +-clip. Statistics update
// during training and are saved with the model; evaluation uses them frozen.
struct ObsNormalizer {
  bool enabled = false;
  double clip = 10.0;
  RunningMeanStd rms;

  ObsNormalizer() = default;
  ObsNormalizer(int dim, bool on, double clip_at) : enabled(on), clip(clip_at), rms(dim) {}
  int dim() const { return static_cast<int>(rms.mean.size()); }
  // in and out (n, dim) may alias; a disabled normaliser copies.
  void Normalize(std::span<const float> in, std::span<float> out) const;
  // The statistics, for checkpoints and model files.
  void Serialize(Archive& ar);
};

// Reward scaling by the running std of each copy's discounted return (SB3's VecNormalize
// norm_reward): ret = gamma ret + r; r / sqrt(Var(ret) + 1e-8), clipped to +-clip; ret resets when
// an episode ends.
class RewardScaler {
 public:
  RewardScaler(int num_envs, double gamma, double clip);
  void Scale(std::span<float> rewards, std::span<const uint8_t> terminated,
             std::span<const uint8_t> truncated);
  const RunningMeanStd& stats() const { return rms_; }
  // Every copy starts a new episode: the discounted returns restart from 0.
  void EndEpisodes() { std::fill(ret_.begin(), ret_.end(), 0.0); }
  void Serialize(Archive& ar);

 private:
  double gamma_, clip_;
  std::vector<double> ret_;
  RunningMeanStd rms_{1};
  std::vector<float> ret_f_;
};

}  // namespace ratchet
