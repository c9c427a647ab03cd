// The Algorithm base, the shared training settings and the algorithm table.
#include <fmt/format.h>

#include "algo/a2c.h"
#include "algo/acktr.h"
#include "algo/npg_trpo.h"
#include "algo/ppo.h"
#include "algo/ppo_kl.h"
#include "algo/vpg.h"
#include "ratchet/bytes.h"

#include "ratchet/algo.h"

namespace ratchet {

void LearnerConfig::Bind(ConfigBinder& b) {
  b.Add("n_envs", &n_envs, "environment copies stepped together", InRange(1, 4096));
  b.Add("n_steps", &n_steps, "steps per copy in each rollout", AtLeast(1));
  b.Add<double>("gamma", &gamma, "discount factor",
                [](const double& g) { return g > 0 && g <= 1 ? "" : "in (0, 1]"; });
  b.Add("gae_lambda", &gae_lambda, "GAE lambda (1: Monte Carlo advantages)", InRange(0.0, 1.0));
  b.Add<std::vector<int>>("net_arch", &net.hidden, "hidden layer widths of the policy and value networks",
                          [](const std::vector<int>& h) { return h.empty() ? "a list of at least one hidden layer width" : ""; });
  b.Add("activation", &net.activation, "hidden nonlinearity: tanh or relu");
  b.Add("log_std_init", &net.log_std_init, "initial log-std of Gaussian policies");
  b.Add("ortho_init", &net.ortho_init,
        "orthogonal initial weights (gain sqrt 2, policy head 0.01, value head 1) and zero biases; false: "
        "PyTorch's default, weights and biases uniform in +-1/sqrt(fan_in) (SB3's ortho_init=False)");
  b.Add("normalize_obs", &normalize_obs, "running observation normalisation (saved with the model)");
  b.Add("normalize_reward", &normalize_reward, "scale rewards by the running std of the discounted return");
  b.Add("clip_obs", &clip_obs, "clip of normalised observations", Positive());
  b.Add("clip_reward", &clip_reward, "clip of scaled rewards", Positive());
  b.Add("whole_episodes", &whole_episodes,
        "whole episodes per batch: each rollout restarts every copy and drops steps after its last episode end");
}

CollectorOptions LearnerConfig::collector() const {
  CollectorOptions o;
  o.normalize_obs = normalize_obs;
  o.clip_obs = clip_obs;
  o.normalize_reward = normalize_reward;
  o.gamma = gamma;
  o.clip_reward = clip_reward;
  o.whole_episodes = whole_episodes;
  return o;
}

Algorithm::Algorithm(const EnvSpec& spec, const LearnerConfig& train, Rng rng, ThreadPool* pool)
    : policy_(spec.observation_space, spec.action_space, train.net),
      value_(spec.observation_space.flat_dim(), train.net),
      rng_(rng),
      pool_(pool) {
  PinProductBlocking();  // whatever the host program did to Eigen's cache sizes
  Rng init = rng_.Split(0);
  policy_.Init(init);
  value_.Init(init);
}

void Algorithm::Serialize(Archive& ar) {
  // finite, and of a size no training reaches (|p| <= 1e8): anything else is a corrupt file
  ar.Checked(policy_.params(), "policy parameter", -1e8, 1e8);
  ar.Checked(value_.params(), "value parameter", -1e8, 1e8);
  Rng::State rs = rng_.state();
  ar(rs);
  if (ar.loading()) rng_.set_state(rs);
  SerializeExtra(ar);
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
          [](const AlgoConfig& c, const EnvSpec& spec, const LearnerConfig& t, Rng rng,
             ThreadPool* pool) -> std::unique_ptr<Algorithm> {
            if constexpr (requires { A::Make(static_cast<const C&>(c), spec, t, rng, pool); })
              return A::Make(static_cast<const C&>(c), spec, t, rng, pool);  // the class the settings ask for
            else
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
      Entry<PpoKl, PpoConfig>("ppo-kl", "proximal policy optimization, adaptive KL penalty (Schulman et al. 2017, sec. 4)",
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
