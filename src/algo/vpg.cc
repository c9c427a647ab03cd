#include "algo/losses.h"
#include "algo/vpg.h"

#include <fmt/format.h>

#include "ratchet/bytes.h"

namespace ratchet {

void VpgConfig::Bind(ConfigBinder& b) {
  b.Add("learning_rate", &learning_rate, "policy Adam step size; lin_X decays linearly", PositiveStart());
  b.Add<std::string>("return_type", &return_type, "reward_to_go, or total (the whole trajectory's return)",
                     [](const std::string& t) { return t == "reward_to_go" || t == "total" ? "" : "reward_to_go or total"; });
  b.Add("baseline", &baseline, "subtract the learned value V(s_t)");
  b.Add("use_gae", &use_gae, "use GAE(gamma, gae_lambda) advantages (needs baseline)");
  b.Add("normalize_advantage", &normalize_advantage, "normalise the policy-gradient weights");
  b.Add("ent_coef", &ent_coef, "entropy bonus weight", NonNegative());
  b.Add("vf_learning_rate", &vf_learning_rate, "critic Adam step size; lin_X decays linearly", PositiveStart());
  b.Add("vf_iters", &vf_iters, "critic epochs per batch", AtLeast(0));
  b.Add("vf_batch_size", &vf_batch_size, "critic minibatch size", AtLeast(1));
  b.Add("adam_eps", &adam_eps, "Adam epsilon", Positive());
}

void VpgConfig::Validate(const LearnerConfig&) const {
  if (use_gae && !baseline) throw Error("use_gae needs baseline: true (GAE is built on the baseline)");
  if (use_gae && return_type != "reward_to_go") throw Error("use_gae works with return_type reward_to_go");
}

void VpgWeights(const Rollout& r, double gamma, const VpgConfig& cfg, std::vector<float>* psi) {
  const int T = r.T, N = r.N;
  psi->assign(static_cast<size_t>(T) * N, 0.0f);
  if (cfg.use_gae) {
    psi->assign(r.advantages.begin(), r.advantages.end());
    return;
  }
  std::vector<double> G(static_cast<size_t>(T) * N);
  for (int i = 0; i < N; ++i) {
    // discounted rewards-to-go, restarting at episode ends; bootstrapped through truncation and
    // at the end of the batch
    double next = r.last_values[i];
    for (int t = T - 1; t >= 0; --t) {
      const size_t k = static_cast<size_t>(t) * N + i;
      if (r.terminated[k]) next = 0.0;
      else if (r.truncated[k]) next = r.final_values[k];
      G[k] = r.rewards[k] + gamma * next;
      next = G[k];
    }
    if (cfg.return_type == "total") {
      // every step of an episode segment gets the return from the segment's first step
      double seg = 0;
      bool start = true;
      std::vector<size_t> members;
      for (int t = 0; t < T; ++t) {
        const size_t k = static_cast<size_t>(t) * N + i;
        if (start) seg = G[k];
        start = false;
        members.push_back(k);
        if (r.terminated[k] || r.truncated[k] || t == T - 1) {
          for (size_t m : members) G[m] = seg;
          members.clear();
          start = true;
        }
      }
    }
  }
  for (size_t k = 0; k < G.size(); ++k)
    (*psi)[k] = static_cast<float>(cfg.baseline ? G[k] - r.values[k] : G[k]);
}

Vpg::Vpg(const VpgConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng, ThreadPool* pool)
    : Algorithm(spec, train, rng, pool),
      cfg_(cfg),
      gamma_(train.gamma),
      adam_(policy_.num_params(), 0.9, 0.999, cfg.adam_eps),
      fitter_(value_, cfg.adam_eps) {}

void Vpg::SerializeExtra(Archive& ar) {
  adam_.Serialize(ar);
  fitter_.adam().Serialize(ar);
}

UpdateStats Vpg::Update(const Rollout& r, double progress_remaining) {
  const int M = r.size();
  VpgWeights(r, gamma_, cfg_, &psi_);
  if (cfg_.normalize_advantage) NormalizeInPlace(psi_);
  obs_ = ConstMatMap<float>(r.obs.data(), r.obs_dim, M);
  act_ = ConstMatMap<float>(r.actions.data(), r.act_dim, M);
  const MatMap<float> dist = policy_.Forward(obs_, ws_);
  policy_.ZeroGrad();
  const PgLoss pg = AccumulatePolicyGradient(policy_, dist, act_, psi_, cfg_.ent_coef, d_dist_, ws_);
  UpdateStats out;
  out.grad_norm = GlobalNorm({policy_.grads()});
  const double lr = cfg_.learning_rate(progress_remaining);
  adam_.Step(policy_.params(), policy_.grads(), lr);
  out.value_loss = fitter_.Fit(r, cfg_.vf_iters, cfg_.vf_batch_size, cfg_.vf_learning_rate(progress_remaining), rng_);
  out.policy_loss = pg.loss;
  out.entropy = pg.entropy;
  out.learning_rate = lr;
  out.epochs = 1;
  return out;
}

std::string Vpg::NonFiniteState() const {
  for (const auto& [opt, what] : {std::pair{&adam_, "policy Adam"}, std::pair{&fitter_.adam(), "value Adam"}}) {
    if (auto bad = FirstNonFiniteIn(opt->m(), std::string(what) + " first moment"); !bad.empty()) return bad;
    if (auto bad = FirstNonFiniteIn(opt->v(), std::string(what) + " second moment"); !bad.empty()) return bad;
  }
  return "";
}

}  // namespace ratchet
