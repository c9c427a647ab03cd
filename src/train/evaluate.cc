#include <cmath>
#include <fmt/format.h>

#include "ratchet/train.h"
#include "ratchet/draw.h"

namespace ratchet {

Actor::Actor(const Policy& policy, const ObsNormalizer* norm, const Space& action_space)
    : policy_(policy), norm_(norm), space_(action_space), obs_(policy.obs_dim()),
      action_(policy.act_dim()), env_action_(policy.act_dim()) {}

std::span<const float> Actor::Act(std::span<const float> raw_obs, bool deterministic, Rng& rng) {
  const int od = policy_.obs_dim(), ad = policy_.act_dim();
  RATCHET_CHECK(static_cast<int>(raw_obs.size()) == od, "Actor::Act: observation size");
  if (norm_ != nullptr) {
    norm_->Normalize(raw_obs, obs_);
  } else {
    std::copy(raw_obs.begin(), raw_obs.end(), obs_.begin());
  }
  const MatMap<float> dp = policy_.Forward(ConstMatMap<float>(obs_.data(), od, 1), ws_);
  if (deterministic) {
    policy_.Mode(dp.data(), action_.data());
  } else {
    policy_.Sample(dp.data(), rng, action_.data());
  }
  env_action_ = action_;
  if (!space_.is_discrete())
    for (int d = 0; d < ad; ++d) env_action_[d] = std::clamp(action_[d], space_.low[d], space_.high[d]);
  return env_action_;
}

EvalResult Evaluate(const Policy& policy, const std::string& env_id, int episodes, uint64_t seed,
                    bool deterministic, const ObsNormalizer* norm, const EvalLimits& limits) {
  PinProductBlocking();
  if (limits.max_steps < 0) throw Error(fmt::format("evaluation max_steps must be positive, got {}", limits.max_steps));
  if (episodes < 1) throw Error(fmt::format("evaluation needs at least one episode, got {}", episodes));
  std::unique_ptr<Env> env = MakeEnv(env_id, -1, limits.env_kwargs);
  const EnvSpec& spec = env->spec();
  const int od = spec.observation_space.flat_dim();
  const int64_t max_steps = limits.max_steps > 0          ? limits.max_steps
                            : spec.max_episode_steps > 0 ? spec.max_episode_steps
                                                         : kDefaultEvalMaxSteps;
  std::vector<float> raw(od);
  Actor actor(policy, norm, spec.action_space);
  Rng rng(seed, 1);
  EvalResult out;
  for (int ep = 0; ep < episodes && !out.interrupted; ++ep) {
    if (ep > 0 && limits.stop && limits.stop()) {
      out.interrupted = true;
      break;
    }
    env->Reset(seed + static_cast<uint64_t>(ep), raw);
    double ret = 0.0;
    for (int64_t t = 1;; ++t) {
      const StepResult r = env->Step(actor.Act(raw, deterministic, rng), raw);
      ret += r.reward;
      if (r.terminated || r.truncated) break;
      if (t >= max_steps) {
        ++out.cut;
        break;
      }
      if (limits.stop && t % 256 == 0 && limits.stop()) {
        out.interrupted = true;
        break;
      }
    }
    if (!out.interrupted) out.returns.push_back(ret);
  }
  const size_t n = out.returns.size();
  double sum = 0.0, sq = 0.0;
  for (double r : out.returns) sum += r;
  out.mean = n > 0 ? sum / n : 0.0;
  for (double r : out.returns) sq += (r - out.mean) * (r - out.mean);
  out.std = n > 0 ? std::sqrt(sq / n) : 0.0;
  return out;
}

GifResult RecordGif(const Policy& policy, const std::string& env_id, const ObsNormalizer* norm,
                    uint64_t seed, const std::filesystem::path& path, int width, int height,
                    int max_frames, int episodes, const EnvKwargs& env_kwargs) {
  if (max_frames < 2) throw Error("a GIF of an episode needs at least 2 frames");
  if (episodes < 1) throw Error(fmt::format("a GIF needs at least one episode, got {}", episodes));
  std::unique_ptr<Env> env = MakeEnv(env_id, -1, env_kwargs);
  const EnvSpec& spec = env->spec();
  const int od = spec.observation_space.flat_dim();
  GifResult out;
  // real time at <= 25 frames per second, and a whole time-limited episode within max_frames
  out.every = spec.dt > 0 ? std::max(1, static_cast<int>(std::ceil(0.04 / spec.dt - 1e-9))) : 1;
  if (spec.max_episode_steps > 0)
    out.every = std::max(out.every, (spec.max_episode_steps + max_frames - 2) / (max_frames - 1));
  const int delay_cs = spec.dt > 0 ? std::max(2, static_cast<int>(std::lround(100 * spec.dt * out.every))) : 4;
  std::vector<float> raw(od);
  std::vector<uint8_t> frame;
  Actor actor(policy, norm, spec.action_space);
  Rng unused(seed, 1);
  env->Reset(seed, raw);
  env->Render(width, height, &frame);  // fails early, before any file is created, if it cannot
  GifWriter gif(path, width, height, delay_cs);
  for (int ep = 0; ep < episodes; ++ep) {
    if (ep > 0) {
      env->Reset(seed + static_cast<uint64_t>(ep), raw);
      env->Render(width, height, &frame);
    }
    const int first_frame = gif.frames();
    gif.AddFrame(frame);
    double ret = 0.0;
    for (int t = 1;; ++t) {
      const StepResult r = env->Step(actor.Act(raw, true, unused), raw);
      ret += r.reward;
      // an environment without a time limit: the episode ends as evaluation would end it
      const bool done = r.terminated || r.truncated || (spec.max_episode_steps <= 0 && t >= kDefaultEvalMaxSteps);
      if ((t % out.every == 0 || done) && gif.frames() - first_frame < max_frames) {
        env->Render(width, height, &frame);
        gif.AddFrame(frame);
        if (ep == 0) out.steps_rendered = t;
      }
      if (done) {
        if (ep == 0) out.steps = t;
        break;
      }
    }
    if (ep == 0) out.episode_return = ret;
    out.returns.push_back(ret);
  }
  out.frames = gif.frames();
  gif.Close();
  return out;
}

}  // namespace ratchet
