// The Algorithm base, the shared training settings and the algorithm table.
#include <fmt/format.h>

#include "algo/a2c.h"
#include "algo/acktr.h"
#include "algo/npg_trpo.h"
#include "algo/ppo.h"
#include "algo/vpg.h"
#include "ratchet/bytes.h"
#include <cctype>

#include "ratchet/algo.h"

namespace ratchet {

void TrainConfig::Bind(ConfigBinder& b) {
  b.Add("n_timesteps", &n_timesteps, "total environment steps (rounded down to whole rollouts)");
  b.Add("n_envs", &n_envs, "environment copies stepped together");
  b.Add("n_steps", &n_steps, "steps per copy in each rollout");
  b.Add("gamma", &gamma, "discount factor");
  b.Add("gae_lambda", &gae_lambda, "GAE lambda (1: Monte Carlo advantages)");
  b.Add("net_arch", &net.hidden, "hidden layer widths of the policy and value networks");
  b.Add("activation", &net.activation, "hidden nonlinearity: tanh or relu");
  b.Add("log_std_init", &net.log_std_init, "initial log-std of Gaussian policies");
  b.Add("threads", &threads, "worker threads (results are identical for any count)");
  b.Add("eval_episodes", &eval_episodes, "deterministic evaluation episodes after training");
  b.Add("checkpoint_every", &checkpoint_every, "write a checkpoint every k updates (0: only at the end)");
  b.Add("checkpoint_keep", &checkpoint_keep, "checkpoints kept in RUN_DIR/checkpoints");
  b.Add("stop_at", &stop_at, "stop with a checkpoint once this many steps are done (0: off); resume later");
  b.Add("normalize_obs", &normalize_obs, "running observation normalisation (saved with the model)");
  b.Add("normalize_reward", &normalize_reward, "scale rewards by the running std of the discounted return");
  b.Add("clip_obs", &clip_obs, "clip of normalised observations");
  b.Add("clip_reward", &clip_reward, "clip of scaled rewards");
  b.Add("label", &label, "the run's name in sweeps, plots and tables, e.g. vpg-no-baseline (default: the algo)");
}

void TrainConfig::Validate() const {
  if (n_timesteps < 1) throw Error(fmt::format("n_timesteps must be positive, got {}", n_timesteps));
  if (n_envs < 1 || n_envs > 4096) throw Error(fmt::format("n_envs must be in [1, 4096], got {}", n_envs));
  if (n_steps < 1) throw Error(fmt::format("n_steps must be positive, got {}", n_steps));
  if (static_cast<int64_t>(n_steps) * n_envs > n_timesteps)
    throw Error(fmt::format(
        "n_timesteps ({}) is smaller than one rollout of n_steps * n_envs = {} steps; raise the "
        "step count or lower n_steps",
        n_timesteps, static_cast<int64_t>(n_steps) * n_envs));
  if (!(gamma > 0 && gamma <= 1)) throw Error(fmt::format("gamma must be in (0, 1], got {}", gamma));
  if (!(gae_lambda >= 0 && gae_lambda <= 1))
    throw Error(fmt::format("gae_lambda must be in [0, 1], got {}", gae_lambda));
  if (net.hidden.empty()) throw Error("net_arch needs at least one hidden layer");
  if (threads < 1 || threads > 256) throw Error(fmt::format("threads must be in [1, 256], got {}", threads));
  if (checkpoint_every < 0) throw Error("checkpoint_every must be >= 0");
  if (checkpoint_keep < 1) throw Error("checkpoint_keep must be >= 1");
  if (stop_at < 0) throw Error("stop_at must be >= 0");
  if (!(clip_obs > 0) || !(clip_reward > 0)) throw Error("clip_obs and clip_reward must be positive");
  if (eval_episodes < 0) throw Error(fmt::format("eval_episodes must be non-negative, got {}", eval_episodes));
  for (char c : label)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && c != '+')
      throw Error(fmt::format("label '{}' may hold only letters, digits and - _ . +", label));
}

Algorithm::Algorithm(const EnvSpec& spec, const TrainConfig& train, Rng rng, ThreadPool* pool)
    : policy_(spec.observation_space, spec.action_space, train.net),
      value_(spec.observation_space.flat_dim(), train.net),
      rng_(rng),
      pool_(pool) {
  Rng init = rng_.Split(0);
  policy_.Init(init);
  value_.Init(init);
}

void Algorithm::Save(ByteWriter& w) const {
  w.PutArray(policy_.params());
  w.PutArray(value_.params());
  w.Put(rng_.state());
  SaveExtra(w);
}

void Algorithm::Restore(ByteReader& r) {
  r.GetArray(policy_.params(), "policy parameter");
  r.GetArray(value_.params(), "value parameter");
  rng_.set_state(r.Get<Rng::State>());
  RestoreExtra(r);
}

namespace {

// A table row for algorithm class A with config C; `adjust` sets what the name implies.
template <typename A, typename C>
AlgoEntry Entry(std::string name, std::string summary, std::function<void(C&)> adjust = nullptr) {
  return {std::move(name), std::move(summary),
          [adjust] {
            auto c = std::make_unique<C>();
            if (adjust) adjust(*c);
            return std::unique_ptr<AlgoConfig>(std::move(c));
          },
          [](const AlgoConfig& c, const EnvSpec& spec, const TrainConfig& t, Rng rng,
             ThreadPool* pool) -> std::unique_ptr<Algorithm> {
            return std::make_unique<A>(static_cast<const C&>(c), spec, t, rng, pool);
          }};
}

}  // namespace

const std::vector<AlgoEntry>& Algorithms() {
  static const std::vector<AlgoEntry> table = {
      Entry<Vpg, VpgConfig>("vpg", "REINFORCE / vanilla policy gradient with rewards-to-go and a learned baseline (Williams 1992)"),
      Entry<A2c, A2cConfig>("a2c", "synchronous advantage actor-critic, n-step or GAE advantages (Mnih et al. 2016)"),
      Entry<NpgTrpo, NpgTrpoConfig>("npg", "natural policy gradient: CG on Fisher-vector products, KL-sized step (Kakade 2001)",
                                    [](NpgTrpoConfig& c) { c.line_search = false; }),
      Entry<NpgTrpo, NpgTrpoConfig>("trpo", "trust region policy optimization: natural step plus KL-checked line search (Schulman et al. 2015)"),
      Entry<Ppo, PpoConfig>("ppo", "proximal policy optimization, clipped surrogate (Schulman et al. 2017)"),
      Entry<Ppo, PpoConfig>("ppo-kl", "proximal policy optimization, adaptive KL penalty (Schulman et al. 2017, sec. 4)",
                            [](PpoConfig& c) { c.kl_penalty = true; }),
      Entry<Acktr, AcktrConfig>("acktr", "actor-critic with K-FAC natural gradients and a KL-bounded step (Wu et al. 2017)"),
  };
  return table;
}

const AlgoEntry& FindAlgorithm(const std::string& name) {
  for (const AlgoEntry& e : Algorithms())
    if (e.name == name) return e;
  std::string known;
  for (const AlgoEntry& e : Algorithms()) known += (known.empty() ? "" : ", ") + e.name;
  throw Error(fmt::format("unknown algorithm '{}'; known algorithms: {}", name, known));
}

}  // namespace ratchet
