// The Algorithm base, the shared training settings and the algorithm table.
#include <fmt/format.h>

#include "algo/npg_trpo.h"
#include "algo/ppo.h"
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
  if (eval_episodes < 0) throw Error(fmt::format("eval_episodes must be non-negative, got {}", eval_episodes));
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

const std::vector<AlgoEntry>& Algorithms() {
  static const std::vector<AlgoEntry> table = {
      {"ppo", "Proximal Policy Optimization with the clipped surrogate (Schulman et al. 2017)",
       [] { return std::make_unique<PpoConfig>(); },
       [](const AlgoConfig& c, const EnvSpec& spec, const TrainConfig& t, Rng rng, ThreadPool* pool)
           -> std::unique_ptr<Algorithm> {
         return std::make_unique<Ppo>(static_cast<const PpoConfig&>(c), spec, t, rng, pool);
       }},
      {"npg", "natural policy gradient: conjugate gradient on Fisher-vector products, KL-sized step (Kakade 2001)",
       [] {
         auto c = std::make_unique<NpgTrpoConfig>();
         c->line_search = false;
         return c;
       },
       [](const AlgoConfig& c, const EnvSpec& spec, const TrainConfig& t, Rng rng, ThreadPool* pool)
           -> std::unique_ptr<Algorithm> {
         return std::make_unique<NpgTrpo>(static_cast<const NpgTrpoConfig&>(c), spec, t, rng, pool);
       }},
      {"trpo", "Trust Region Policy Optimization: natural gradient plus a KL-checked line search (Schulman et al. 2015)",
       [] { return std::make_unique<NpgTrpoConfig>(); },
       [](const AlgoConfig& c, const EnvSpec& spec, const TrainConfig& t, Rng rng, ThreadPool* pool)
           -> std::unique_ptr<Algorithm> {
         return std::make_unique<NpgTrpo>(static_cast<const NpgTrpoConfig&>(c), spec, t, rng, pool);
       }},
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
