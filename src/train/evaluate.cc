#include <cmath>

#include "ratchet/train.h"
#include "ratchet/viz.h"

namespace ratchet {

EvalResult Evaluate(const Policy& policy, const std::string& env_id, int episodes, uint64_t seed,
                    bool deterministic, const ObsNormalizer* norm) {
  std::unique_ptr<Env> env = MakeEnv(env_id);
  const EnvSpec& spec = env->spec();
  const int od = spec.observation_space.flat_dim();
  const int ad = policy.act_dim();
  std::vector<float> raw(od), obs(od), action(ad), env_action(ad);
  MlpWorkspace<float> ws;
  Rng rng(seed, 1);
  EvalResult out;
  for (int ep = 0; ep < episodes; ++ep) {
    env->Reset(seed + static_cast<uint64_t>(ep), raw);
    double ret = 0.0;
    for (;;) {
      if (norm != nullptr) {
        norm->Normalize(raw, obs);
      } else {
        obs = raw;
      }
      const MatMap<float> dp = policy.Forward(ConstMatMap<float>(obs.data(), od, 1), ws);
      if (deterministic) {
        policy.Mode(dp.data(), action.data());
      } else {
        policy.Sample(dp.data(), rng, action.data());
      }
      env_action = action;
      if (!spec.action_space.is_discrete())
        for (int d = 0; d < ad; ++d)
          env_action[d] = std::clamp(action[d], spec.action_space.low[d], spec.action_space.high[d]);
      const StepResult r = env->Step(env_action, raw);
      ret += r.reward;
      if (r.terminated || r.truncated) break;
    }
    out.returns.push_back(ret);
  }
  double sum = 0.0, sq = 0.0;
  for (double r : out.returns) sum += r;
  out.mean = episodes > 0 ? sum / episodes : 0.0;
  for (double r : out.returns) sq += (r - out.mean) * (r - out.mean);
  out.std = episodes > 0 ? std::sqrt(sq / episodes) : 0.0;
  return out;
}

double RecordGif(const Policy& policy, const std::string& env_id, const ObsNormalizer* norm,
                 uint64_t seed, const std::filesystem::path& path, int width, int height,
                 int max_frames) {
  std::unique_ptr<Env> env = MakeEnv(env_id);
  const EnvSpec& spec = env->spec();
  const int od = spec.observation_space.flat_dim(), ad = policy.act_dim();
  // real time at <= 25 frames per second
  const int every = spec.dt > 0 ? std::max(1, static_cast<int>(std::ceil(0.04 / spec.dt - 1e-9))) : 1;
  const int delay_cs = spec.dt > 0 ? std::max(2, static_cast<int>(std::lround(100 * spec.dt * every))) : 4;
  std::vector<float> raw(od), obs(od), action(ad), env_action(ad);
  std::vector<uint8_t> frame;
  MlpWorkspace<float> ws;
  env->Reset(seed, raw);
  env->Render(width, height, &frame);  // fails early, before any file is created, if it cannot
  GifWriter gif(path, width, height, delay_cs);
  gif.AddFrame(frame);
  double ret = 0.0;
  for (int t = 1;; ++t) {
    if (norm != nullptr) {
      norm->Normalize(raw, obs);
    } else {
      obs = raw;
    }
    const MatMap<float> dp = policy.Forward(ConstMatMap<float>(obs.data(), od, 1), ws);
    policy.Mode(dp.data(), action.data());
    env_action = action;
    if (!spec.action_space.is_discrete())
      for (int d = 0; d < ad; ++d)
        env_action[d] = std::clamp(action[d], spec.action_space.low[d], spec.action_space.high[d]);
    const StepResult r = env->Step(env_action, raw);
    ret += r.reward;
    const bool done = r.terminated || r.truncated;
    if ((t % every == 0 || done) && gif.frames() < max_frames) {
      env->Render(width, height, &frame);
      gif.AddFrame(frame);
    }
    if (done) break;
  }
  gif.Close();
  return ret;
}

}  // namespace ratchet
