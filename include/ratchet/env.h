// Ratchet environments: spaces, the Env interface, the registry and the vectorized environment.
//
// Actions travel as float vectors for both space kinds: a Box action of dimension D is D floats;
// a Discrete action is one float holding the index (exact for any supported n).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ratchet/core.h"

namespace ratchet {

class ByteWriter;
class ByteReader;

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
};

struct StepResult {
  double reward = 0.0;
  bool terminated = false;  // the MDP reached a terminal state: do not bootstrap
  bool truncated = false;   // cut by a time limit: bootstrap from the final observation
};

// Named quantities of the last step (reward terms, positions), for tests and logs.
struct StepInfo {
  std::vector<std::pair<std::string, double>> items;
  // Sets or adds `name`; allocates only the first time a name appears.
  void Set(const char* name, double value);
  // Throws Error when the name is absent.
  double Get(const std::string& name) const;
};

//---------------------------------- Env -------------------------------------------------------

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
  // Everything needed to continue bit-exactly: physics state, counters and generator state.
  virtual std::vector<uint8_t> SaveState() const = 0;
  // Throws Error when the bytes are not a state of this environment.
  virtual void RestoreState(std::span<const uint8_t> state) = 0;
  // Named quantities of the last Step; empty unless the environment reports some.
  virtual const StepInfo& info() const;
  // Draws the current state into rgb (height, width, 3; rows top-down). Throws Error when the
  // environment has no renderer.
  virtual void Render(int width, int height, std::vector<uint8_t>* rgb);
};

// Truncates episodes after max_steps steps (Gymnasium's TimeLimit: the max_steps-th step returns
// truncated = true; terminated and truncated may both be true).
class TimeLimit final : public Env {
 public:
  TimeLimit(std::unique_ptr<Env> env, int max_steps);
  const EnvSpec& spec() const override { return env_->spec(); }
  void Reset(uint64_t seed, std::span<float> obs) override;
  void Reset(std::span<float> obs) override;
  StepResult Step(std::span<const float> action, std::span<float> obs) override;
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
};

//---------------------------------- Registry --------------------------------------------------

// Creates a registered environment, wrapped in its TimeLimit. Throws Error for an unknown id,
// listing the known ones.
std::unique_ptr<Env> MakeEnv(const std::string& id);
// The registered ids, in registry order.
std::vector<std::string> ListEnvs();
// The spec of a registered id, without building the environment.
EnvSpec EnvSpecOf(const std::string& id);

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
class VectorEnv {
 public:
  // Builds num_envs copies of env `id`. pool may be null (serial); it is not owned.
  VectorEnv(const std::string& id, int num_envs, ThreadPool* pool = nullptr);

  int num_envs() const { return static_cast<int>(envs_.size()); }
  const EnvSpec& spec() const { return envs_[0]->spec(); }
  int obs_dim() const { return obs_dim_; }
  int act_dim() const { return act_dim_; }

  // obs: (N, obs_dim) row-major, i.e. copy i's observation at obs[i * obs_dim].
  void Reset(uint64_t seed, std::span<float> obs);
  // actions (N, act_dim); writes obs (N, obs_dim), rewards (N), terminated (N), truncated (N).
  void Step(std::span<const float> actions, std::span<float> obs, std::span<float> rewards,
            std::span<uint8_t> terminated, std::span<uint8_t> truncated);
  // The last observation of copy i's episode that ended in the latest Step.
  std::span<const float> final_obs(int i) const {
    return {final_obs_.data() + static_cast<size_t>(i) * obs_dim_, static_cast<size_t>(obs_dim_)};
  }
  // Episodes finished since the last call, in copy order within each Step.
  std::vector<EpisodeStat> TakeEpisodeStats();

  Env& env(int i) { return *envs_[i]; }

  // Every copy's state and its running episode statistics, for checkpoints.
  void Save(ByteWriter& w) const;
  void Restore(ByteReader& r);

  // kAuto threads a step only when the first steps show it pays; kAlways/kNever force it (for
  // tests and benchmarks). The results are the same bits in every mode.
  enum class Threading { kAuto, kAlways, kNever };
  void set_threading(Threading t) { threading_ = t; }

 private:
  std::vector<std::unique_ptr<Env>> envs_;
  ThreadPool* pool_;
  int obs_dim_, act_dim_;
  std::vector<float> final_obs_;
  std::vector<double> ep_return_;
  std::vector<int> ep_length_;
  std::vector<uint8_t> finished_;  // per copy, set by the latest Step
  std::vector<EpisodeStat> stats_;
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
  void Save(ByteWriter& w) const;
  void Restore(ByteReader& r);
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
  void Save(ByteWriter& w) const;
  void Restore(ByteReader& r);

 private:
  double gamma_, clip_;
  std::vector<double> ret_;
  RunningMeanStd rms_{1};
  std::vector<float> ret_f_;
};

}  // namespace ratchet
