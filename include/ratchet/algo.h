// Ratchet algorithms: the rollout buffer, advantage estimation, the Algorithm interface and the
// algorithm table. Each algorithm lives in its own src/algo/<name>.cc with its config struct.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ratchet/config.h"
#include "ratchet/env.h"
#include "ratchet/policy.h"

namespace ratchet {

//---------------------------------- Rollout ---------------------------------------------------

// T steps of N environment copies, stored time-major: element (t, i) at index t * N + i.
struct Rollout {
  int T = 0, N = 0, obs_dim = 0, act_dim = 0;
  std::vector<float> obs;          // (T, N, obs_dim) observation before step t
  std::vector<float> actions;      // (T, N, act_dim) unclipped sampled actions
  std::vector<float> logp;         // (T, N) log pi_old(a | s)
  std::vector<float> values;       // (T, N) V_old(s)
  std::vector<float> rewards;      // (T, N)
  std::vector<uint8_t> terminated; // (T, N)
  std::vector<uint8_t> truncated;  // (T, N)
  std::vector<float> final_values; // (T, N) V(final observation) where truncated and not terminated
  std::vector<float> last_values;  // (N) V(observation after the last step)
  std::vector<float> advantages;   // (T, N) filled by ComputeGae
  std::vector<float> returns;      // (T, N) advantages + values: the value targets
  // (T, N) 1 where the step belongs to an episode that ended within the rollout; filled only by
  // a collector with whole_episodes (empty otherwise: every step counts)
  std::vector<uint8_t> valid;

  void Resize(int T, int N, int obs_dim, int act_dim);
  int size() const { return T * N; }
};

// Generalized advantage estimation (Schulman et al. 2016, "High-Dimensional Continuous Control
// Using Generalized Advantage Estimation"):
//   delta_t = r_t + gamma * V_next - V(s_t),  A_t = delta_t + gamma * lambda * A_{t+1},
// where at a terminated step V_next = 0, at a truncated step V_next = V(final observation), and
// the recursion restarts after either. lambda = 1 gives Monte Carlo returns minus the baseline.
void ComputeGae(Rollout& r, double gamma, double lambda);

// 1 - Var(returns - values) / Var(returns); NaN when Var(returns) = 0.
double ExplainedVariance(std::span<const float> values, std::span<const float> returns);

//---------------------------------- Collector -------------------------------------------------

// How a Collector treats observations and rewards on their way into the rollout.
struct CollectorOptions {
  bool normalize_obs = false;     // running observation normalisation (statistics update as it goes)
  double clip_obs = 10.0;         // clip of normalised observations
  bool normalize_reward = false;  // scale rewards by the running std of the discounted return
  double gamma = 0.99;            // the discount of that return
  double clip_reward = 10.0;      // clip of scaled rewards
  // Whole episodes per batch: every rollout starts a new episode in every copy, and the steps
  // after a copy's last episode end in the rollout are marked invalid (Rollout::valid). They are
  // simulated, so they count towards the step budget.
  bool whole_episodes = false;
};

// Steps a VectorEnv with the current policy into a Rollout: samples actions (the rollout keeps
// the raw sample, the environment gets it clipped to a Box's bounds), records log-probabilities
// and values, normalises observations and scales rewards when asked, and evaluates the value of
// the final observation of every episode cut by a time limit so that GAE can bootstrap through
// truncation. The Trainer uses it; so can a loop of your own:
//
//   ratchet::VectorEnv venv("PointMass-v0", 8);
//   ratchet::Collector collector(algo->policy(), algo->value(), venv, {}, ratchet::Rng(seed, 2));
//   collector.Reset(seed);
//   ratchet::Rollout r;
//   r.Resize(256, venv.num_envs(), venv.obs_dim(), venv.act_dim());
//   for (...) { collector.Collect(r); ratchet::ComputeGae(r, 0.99, 0.95); algo->Update(r, 1.0); }
class Collector {
 public:
  // policy, value and venv are not owned and must outlive the collector.
  Collector(const Policy& policy, const ValueFunction& value, VectorEnv& venv,
            const CollectorOptions& options, Rng rng);

  // Resets every environment copy (copy i with seed + i) and observes the first observations.
  void Reset(uint64_t seed);
  // Fills r, which must be sized (T, num_envs, obs_dim, act_dim), and its bootstrap values.
  // Returns the episodes that finished during these T steps, in order.
  std::vector<EpisodeStat> Collect(Rollout& r);

  const ObsNormalizer& normalizer() const { return norm_; }
  const VectorEnv& env() const { return venv_; }
  // Seconds spent inside VectorEnv::Step so far.
  double env_seconds() const { return env_seconds_; }

  // The current observations, generator, normaliser, reward scaler and every environment copy,
  // for checkpoints; loading expects a collector built with the same settings. With
  // `environments` false the environment copies keep their state (VectorEnv::Serialize). Copies
  // that cannot be restored all start new episodes (venv().restart_note() says why).
  void Serialize(Archive& ar, bool environments = true);

 private:
  // Folds the new raw observations into the normaliser's statistics and normalises them.
  void Observe();

  const Policy& policy_;
  const ValueFunction& value_;
  VectorEnv& venv_;
  const Space action_space_;
  Rng rng_;
  ObsNormalizer norm_;
  RewardScaler scaler_;
  bool scale_rewards_, whole_episodes_;
  std::vector<float> obs_, raw_obs_, final_obs_, env_actions_, rewards_;
  std::vector<uint8_t> term_, trunc_;
  MlpWorkspace<float> ws_pi_, ws_v_;
  double env_seconds_ = 0.0;
};

//---------------------------------- Algorithm -------------------------------------------------

// What an update reports; fields an algorithm does not compute stay NaN.
struct UpdateStats {
  double policy_loss = NAN, value_loss = NAN, entropy = NAN, approx_kl = NAN;
  double clip_fraction = NAN, learning_rate = NAN, clip_range = NAN, grad_norm = NAN;
  double kl_coef = NAN;               // PPO-KL: the penalty coefficient beta after the update
  double backtracks = NAN;            // TRPO: line-search backtracks (max + 1 when rejected)
  double step_accepted = NAN;         // NPG/TRPO: 1 if the policy step was taken, else 0
  double expected_improvement = NAN;  // NPG/TRPO: g^T step, the linearised surrogate gain
  int epochs = 0;  // epochs actually run (early stopping may cut them)

  // Each statistic with its name (the progress.csv column it is logged under).
  template <typename F>
  void ForEach(F&& f) const {
    f("policy_loss", policy_loss);
    f("value_loss", value_loss);
    f("entropy", entropy);
    f("approx_kl", approx_kl);
    f("clip_fraction", clip_fraction);
    f("grad_norm", grad_norm);
    f("epochs", static_cast<double>(epochs));
    f("learning_rate", learning_rate);
    f("clip_range", clip_range);
    f("kl_coef", kl_coef);
    f("backtracks", backtracks);
    f("step_accepted", step_accepted);
    f("expected_improvement", expected_improvement);
  }
};

// The learner's settings shared by every on-policy algorithm: the rollout shape, discounting,
// the networks and how observations and rewards are normalised. (How long to train, checkpoints,
// evaluation and labels are the trainer's: TrainConfig in ratchet/train.h.)
struct LearnerConfig {
  // Each field's key, doc, check and traits: Bind (one Add line per field).
  int n_envs = 8;
  int n_steps = 2048;
  double gamma = 0.99;
  double gae_lambda = 0.95;
  NetConfig net;
  bool normalize_obs = false;
  bool normalize_reward = false;
  double clip_obs = 10.0;
  double clip_reward = 10.0;
  bool whole_episodes = false;

  // Keys, docs and per-key checks of these settings.
  void Bind(ConfigBinder& b);
  // The collector settings these imply.
  CollectorOptions collector() const;
  // Environment steps per rollout (and per update): n_steps * n_envs.
  int64_t rollout_steps() const { return static_cast<int64_t>(n_steps) * n_envs; }
};

// An algorithm's own hyperparameters.
class AlgoConfig {
 public:
  virtual ~AlgoConfig() = default;
  virtual void Bind(ConfigBinder& b) = 0;
  // Checks that involve more than one key (each key's own check is in Bind); `learner` gives the
  // rollout shape.
  virtual void Validate(const LearnerConfig& learner) const = 0;
  // Whether the algorithm trains on whole-episode batches (reads Rollout::valid).
  virtual bool SupportsWholeEpisodes() const { return false; }
};

// Owns the policy, the value function and their optimiser state; updates them from a rollout
// whose advantages and returns are already computed.
class Algorithm {
 public:
  Algorithm(const EnvSpec& spec, const LearnerConfig& learner, Rng rng, ThreadPool* pool);
  virtual ~Algorithm() = default;

  // progress_remaining goes from 1 (start of training) to 0 (end), for schedules.
  virtual UpdateStats Update(const Rollout& r, double progress_remaining) = 0;

  Policy& policy() { return policy_; }
  ValueFunction& value() { return value_; }
  const Policy& policy() const { return policy_; }
  const ValueFunction& value() const { return value_; }

  // The ranks that hold the same rollout and run the same update (the trainer under MPI); an
  // algorithm may divide an update's work over them, giving the same bits for any rank count.
  // Null (the default): this process alone. Not owned.
  void set_comm(Comm* comm) { comm_ = comm; }

  // The first non-finite value of the optimiser state (moments, factors, momentum), named; empty
  // when all are finite. The trainer checks it after every update.
  virtual std::string NonFiniteState() const { return ""; }

  // Everything an update reads: parameters, the algorithm's generator and its optimiser state
  // (SerializeExtra), for checkpoints.
  void Serialize(Archive& ar);

 protected:
  // The algorithm's own state after the parameters and the generator (optimisers, K-FAC factors).
  virtual void SerializeExtra(Archive&) {}

  Policy policy_;
  ValueFunction value_;
  Rng rng_;          // the algorithm's own stream (minibatch shuffles)
  ThreadPool* pool_;  // not owned; may be null
  Comm* comm_ = nullptr;
};

// The algorithm table.
struct AlgoEntry {
  std::string name;
  std::string summary;
  std::function<std::unique_ptr<AlgoConfig>()> make_config;
  std::function<std::unique_ptr<Algorithm>(const AlgoConfig&, const EnvSpec&, const LearnerConfig&,
                                           Rng, ThreadPool*)>
      make;
};
const std::vector<AlgoEntry>& Algorithms();
// Throws Error for an unknown name, listing the known ones.
const AlgoEntry& FindAlgorithm(const std::string& name);

}  // namespace ratchet
