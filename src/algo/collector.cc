// The rollout collector: steps the vectorized environment with the current policy.
#include <algorithm>
#include <chrono>

#include "ratchet/algo.h"

namespace ratchet {

Collector::Collector(const Policy& policy, const ValueFunction& value, VectorEnv& venv,
                     const CollectorOptions& options, Rng rng)
    : policy_(policy), value_(value), venv_(venv), action_space_(venv.spec().action_space), rng_(rng),
      norm_(venv.obs_dim(), options.normalize_obs, options.clip_obs),
      scaler_(venv.num_envs(), options.gamma, options.clip_reward),
      scale_rewards_(options.normalize_reward),
      whole_episodes_(options.whole_episodes) {
  const int N = venv.num_envs();
  if (policy.obs_dim() != venv.obs_dim())
    throw Error("Collector: the policy takes " + std::to_string(policy.obs_dim()) +
                " observation values but environment '" + venv.spec().id + "' gives " +
                std::to_string(venv.obs_dim()));
  obs_.assign(static_cast<size_t>(N) * venv.obs_dim(), 0.0f);
  raw_obs_ = obs_;
  final_obs_.assign(venv.obs_dim(), 0.0f);
  env_actions_.assign(static_cast<size_t>(N) * venv.act_dim(), 0.0f);
  rewards_.assign(N, 0.0f);
  term_.assign(N, 0);
  trunc_.assign(N, 0);
}

void Collector::Reset(uint64_t seed) {
  venv_.Reset(seed, raw_obs_);
  Observe();
}

void Collector::Serialize(Archive& ar, bool environments) {
  ar.Checked(std::span<float>(obs_), "observation", -3.4e38, 3.4e38);
  ar.Checked(std::span<float>(raw_obs_), "raw observation", -3.4e38, 3.4e38);
  Rng::State rs = rng_.state();
  ar(rs);
  if (ar.loading()) rng_.set_state(rs);
  norm_.Serialize(ar);
  scaler_.Serialize(ar);
  venv_.Serialize(ar, environments);
  if (ar.loading() && environments && !venv_.restart_note().empty()) {
    // copies that could not be restored start new episodes, seeded from the saved generator
    venv_.Reset(rng_.Split(0x7265'7374'6172'74ULL).NextU64(), raw_obs_);
    scaler_.EndEpisodes();
    Observe();
  }
}

void Collector::Observe() {
  if (norm_.enabled) norm_.rms.Update(raw_obs_, venv_.num_envs());
  norm_.Normalize(raw_obs_, obs_);
}

std::vector<EpisodeStat> Collector::Collect(Rollout& r) {
  const int N = venv_.num_envs(), od = venv_.obs_dim(), ad = venv_.act_dim();
  if (r.N != N || r.obs_dim != od || r.act_dim != ad || r.T < 1)
    throw Error("Collector: the rollout is sized for " + std::to_string(r.N) + " copies of " +
                std::to_string(r.obs_dim) + "/" + std::to_string(r.act_dim) + " values; call Resize(T, " +
                std::to_string(N) + ", " + std::to_string(od) + ", " + std::to_string(ad) + ") first");
  std::vector<EpisodeStat> finished;
  const bool box = !action_space_.is_discrete();
  if (whole_episodes_) {
    venv_.ResetAll(raw_obs_);
    scaler_.EndEpisodes();
    Observe();
  }
  for (int t = 0; t < r.T; ++t) {
    const size_t base = static_cast<size_t>(t) * N;
    std::copy(obs_.begin(), obs_.end(), r.obs.begin() + base * od);
    const ConstMatMap<float> obs(obs_.data(), od, N);
    const MatMap<float> dist = policy_.Forward(obs, ws_pi_);
    const MatMap<float> v = value_.Forward(obs, ws_v_);
    for (int i = 0; i < N; ++i) {
      float* a = r.actions.data() + (base + i) * ad;
      policy_.Sample(dist.col(i).data(), rng_, a);
      r.logp[base + i] = policy_.LogProb(dist.col(i).data(), a);
      r.values[base + i] = v(0, i);
      for (int d = 0; d < ad; ++d) {
        // the env gets the action clipped to its bounds; the rollout keeps the raw sample
        env_actions_[i * ad + d] =
            box ? std::clamp(a[d], action_space_.low[d], action_space_.high[d]) : a[d];
      }
    }
    const auto t_env = std::chrono::steady_clock::now();
    venv_.Step(env_actions_, raw_obs_, rewards_, term_, trunc_);
    env_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t_env).count();
    Observe();
    if (scale_rewards_) scaler_.Scale(rewards_, term_, trunc_);
    for (int i = 0; i < N; ++i) {
      r.rewards[base + i] = rewards_[i];
      r.terminated[base + i] = term_[i];
      r.truncated[base + i] = trunc_[i];
      r.final_values[base + i] = 0.0f;
      if (trunc_[i] && !term_[i]) {
        // bootstrap through the time limit from the episode's last observation
        norm_.Normalize(venv_.final_obs(i), final_obs_);
        r.final_values[base + i] =
            value_.Forward(ConstMatMap<float>(final_obs_.data(), od, 1), ws_v_)(0, 0);
      }
    }
    venv_.MoveEpisodeStats(finished);
  }
  const MatMap<float> v = value_.Forward(ConstMatMap<float>(obs_.data(), od, N), ws_v_);
  for (int i = 0; i < N; ++i) r.last_values[i] = v(0, i);
  r.valid.clear();
  if (whole_episodes_) {
    r.valid.assign(static_cast<size_t>(r.T) * N, 0);
    for (int i = 0; i < N; ++i) {
      int last = -1;  // the last step of copy i that ended an episode
      for (int t = 0; t < r.T; ++t)
        if (r.terminated[static_cast<size_t>(t) * N + i] || r.truncated[static_cast<size_t>(t) * N + i]) last = t;
      for (int t = 0; t <= last; ++t) r.valid[static_cast<size_t>(t) * N + i] = 1;
    }
  }
  return finished;
}

}  // namespace ratchet
