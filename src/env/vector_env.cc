#include <algorithm>
#include <chrono>

#include "ratchet/bytes.h"
#include "ratchet/env.h"

namespace ratchet {

VectorEnv::VectorEnv(const std::string& id, int num_envs, ThreadPool* pool) : pool_(pool) {
  if (num_envs < 1) throw Error("n_envs must be at least 1, got " + std::to_string(num_envs));
  for (int i = 0; i < num_envs; ++i) envs_.push_back(MakeEnv(id));
  obs_dim_ = envs_[0]->spec().observation_space.flat_dim();
  act_dim_ = envs_[0]->spec().action_space.flat_dim();
  final_obs_.assign(static_cast<size_t>(num_envs) * obs_dim_, 0.0f);
  ep_return_.assign(num_envs, 0.0);
  ep_length_.assign(num_envs, 0);
  finished_.assign(num_envs, 0);
}

void VectorEnv::Reset(uint64_t seed, std::span<float> obs) {
  RATCHET_CHECK(obs.size() == static_cast<size_t>(num_envs()) * obs_dim_, "obs buffer size");
  for (int i = 0; i < num_envs(); ++i) {
    envs_[i]->Reset(seed + static_cast<uint64_t>(i), obs.subspan(static_cast<size_t>(i) * obs_dim_, obs_dim_));
    ep_return_[i] = 0.0;
    ep_length_[i] = 0;
  }
  stats_.clear();
}

void VectorEnv::Step(std::span<const float> actions, std::span<float> obs,
                     std::span<float> rewards, std::span<uint8_t> terminated,
                     std::span<uint8_t> truncated) {
  const int n = num_envs();
  RATCHET_CHECK(actions.size() == static_cast<size_t>(n) * act_dim_ &&
                    obs.size() == static_cast<size_t>(n) * obs_dim_ && rewards.size() == size_t(n) &&
                    terminated.size() == size_t(n) && truncated.size() == size_t(n),
                "VectorEnv::Step buffer sizes");
  // each copy touches only its own rows, so any split over threads gives the same bits
  auto step_range = [&](int begin, int end) {
    for (int i = begin; i < end; ++i) {
      auto o = obs.subspan(static_cast<size_t>(i) * obs_dim_, obs_dim_);
      const StepResult r =
          envs_[i]->Step(actions.subspan(static_cast<size_t>(i) * act_dim_, act_dim_), o);
      rewards[i] = static_cast<float>(r.reward);
      terminated[i] = r.terminated;
      truncated[i] = r.truncated;
      ep_return_[i] += r.reward;
      ep_length_[i] += 1;
      finished_[i] = r.terminated || r.truncated;
      if (finished_[i]) {
        std::copy(o.begin(), o.end(), final_obs_.begin() + static_cast<ptrdiff_t>(i) * obs_dim_);
        envs_[i]->Reset(o);
      }
    }
  };
  // Threads pay off only when a step costs more than the fork-join round (a few microseconds):
  // the first steps run serially and are timed. Either path gives the same bits.
  constexpr int kCalibrationSteps = 16;
  constexpr double kMinParallelSeconds = 20e-6;
  const bool can_thread = pool_ != nullptr && pool_->num_threads() > 1 && n > 1 &&
                          threading_ != Threading::kNever;
  if (threading_ == Threading::kAlways) parallel_ = true;
  if (can_thread && threading_ == Threading::kAuto && calibration_steps_ < kCalibrationSteps) {
    const auto t0 = std::chrono::steady_clock::now();
    step_range(0, n);
    calibration_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (++calibration_steps_ == kCalibrationSteps)
      parallel_ = calibration_seconds_ / kCalibrationSteps > kMinParallelSeconds;
  } else if (can_thread && parallel_) {
    // an Error thrown on a worker (a bad action) is carried back to this thread
    std::vector<std::exception_ptr> errors(n);
    // one copy per claim: a thread that finishes early takes the next copy
    pool_->ParallelFor(n, [&](int begin, int end) {
      try {
        step_range(begin, end);
      } catch (...) {
        errors[begin] = std::current_exception();
      }
    }, 1);
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  } else {
    step_range(0, n);
  }
  for (int i = 0; i < n; ++i) {
    if (!finished_[i]) continue;
    stats_.push_back({i, ep_return_[i], ep_length_[i]});
    ep_return_[i] = 0.0;
    ep_length_[i] = 0;
  }
}

void VectorEnv::Save(ByteWriter& w) const {
  w.Put<uint64_t>(envs_.size());
  // an environment that cannot save its state leaves an empty record: the checkpoint still
  // holds the model, and resuming it is refused with the reason
  for (const auto& env : envs_)
    w.PutArray(std::span<const uint8_t>(env->can_save_state() ? env->SaveState() : std::vector<uint8_t>()));
  w.PutArray(std::span<const double>(ep_return_));
  w.PutArray(std::span<const int>(ep_length_));
}

void VectorEnv::Restore(ByteReader& r) {
  if (r.Get<uint64_t>() != envs_.size()) throw Error("checkpoint holds a different number of environment copies");
  for (auto& env : envs_) {
    const std::vector<uint8_t> state = r.GetVector<uint8_t>();
    if (state.empty() && !env->can_save_state())
      throw Error("cannot resume: environment '" + env->spec().id +
                  "' does not save its state (it implements no Serialize/SaveState), so a checkpoint "
                  "cannot restore it; its model can still be evaluated and exported");
    env->RestoreState(state);
  }
  r.GetArray(std::span<double>(ep_return_), "episode return");
  r.GetArray(std::span<int>(ep_length_), "episode length");
  stats_.clear();
}

std::vector<EpisodeStat> VectorEnv::TakeEpisodeStats() {
  std::vector<EpisodeStat> out;
  out.swap(stats_);
  return out;
}

}  // namespace ratchet
