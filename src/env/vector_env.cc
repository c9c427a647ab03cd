#include <algorithm>
#include <chrono>

#include "ratchet/bytes.h"
#include "ratchet/env.h"

namespace ratchet {

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

VectorEnv::VectorEnv(const std::string& id, int num_envs, ThreadPool* pool, Comm* comm, int max_episode_steps,
                     const EnvKwargs& kwargs)
    : pool_(pool), comm_(comm != nullptr && comm->size() > 1 ? comm : nullptr), n_(num_envs) {
  if (num_envs < 1) throw Error("n_envs must be at least 1, got " + std::to_string(num_envs));
  int hi = num_envs;
  if (comm_ != nullptr) {
    const int64_t k = comm_->size(), r = comm_->rank();
    if (num_envs < k)
      throw Error("n_envs (" + std::to_string(num_envs) + ") must be at least the number of MPI ranks (" +
                  std::to_string(k) + "): every rank simulates at least one copy");
    lo_ = static_cast<int>(num_envs * r / k);
    hi = static_cast<int>(num_envs * (r + 1) / k);
  }
  for (int i = lo_; i < hi; ++i) envs_.push_back(MakeEnv(id, max_episode_steps, kwargs));
  obs_dim_ = envs_[0]->spec().observation_space.flat_dim();
  act_dim_ = envs_[0]->spec().action_space.flat_dim();
  final_obs_.assign(static_cast<size_t>(num_envs) * obs_dim_, 0.0f);
  ep_return_.assign(num_envs, 0.0);
  reward64_.assign(num_envs, 0.0);
  ep_length_.assign(num_envs, 0);
  finished_.assign(num_envs, 0);
}

Env& VectorEnv::env(int i) {
  RATCHET_CHECK(i >= lo_ && i < lo_ + num_local(), "VectorEnv::env: copy " + std::to_string(i) +
                                                       " is simulated by another rank");
  return *envs_[i - lo_];
}

void VectorEnv::SetResetOptions(const EnvKwargs& options) {
  for (auto& e : envs_) e->SetResetOptions(options);
}

void VectorEnv::Reset(uint64_t seed, std::span<float> obs) { ResetCopies(&seed, obs); }

void VectorEnv::ResetAll(std::span<float> obs) { ResetCopies(nullptr, obs); }

void VectorEnv::ResetCopies(const uint64_t* seed, std::span<float> obs) {
  RATCHET_CHECK(obs.size() == static_cast<size_t>(num_envs()) * obs_dim_, "obs buffer size");
  std::string error;
  try {
    for (int k = 0; k < num_local(); ++k) {
      const int i = lo_ + k;
      const auto o = obs.subspan(static_cast<size_t>(i) * obs_dim_, obs_dim_);
      if (seed != nullptr) envs_[k]->Reset(*seed + static_cast<uint64_t>(i), o);
      else envs_[k]->Reset(o);
    }
  } catch (const std::exception& e) {
    if (comm_ == nullptr) throw;
    error = e.what();
  }
  std::fill(ep_return_.begin(), ep_return_.end(), 0.0);
  std::fill(ep_length_.begin(), ep_length_.end(), 0);
  stats_.clear();
  if (comm_ != nullptr) Exchange(error, obs, {}, {}, {}, false);
}

void VectorEnv::StepLocal(std::span<const float> actions, std::span<float> obs, std::span<float> rewards,
                          std::span<uint8_t> terminated, std::span<uint8_t> truncated, std::span<const uint8_t> skip) {
  const int n = num_local();
  // each copy touches only its own rows, so any split over threads gives the same bits
  auto step_range = [&](int begin, int end) {
    for (int k = begin; k < end; ++k) {
      const int i = lo_ + k;
      auto o = obs.subspan(static_cast<size_t>(i) * obs_dim_, obs_dim_);
      if (!skip.empty() && skip[i] != 0) {
        rewards[i] = 0.0f;
        reward64_[i] = 0.0;
        terminated[i] = truncated[i] = finished_[i] = 0;
        continue;
      }
      const StepResult r =
          envs_[k]->Step(actions.subspan(static_cast<size_t>(i) * act_dim_, act_dim_), o);
      rewards[i] = static_cast<float>(r.reward);
      reward64_[i] = r.reward;
      terminated[i] = r.terminated;
      truncated[i] = r.truncated;
      ep_return_[i] += r.reward;
      ep_length_[i] += 1;
      finished_[i] = r.terminated || r.truncated;
      if (finished_[i]) {
        std::copy(o.begin(), o.end(), final_obs_.begin() + static_cast<ptrdiff_t>(i) * obs_dim_);
        envs_[k]->Reset(o);
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
    const auto t0 = Clock::now();
    step_range(0, n);
    calibration_seconds_ += Since(t0);
    if (++calibration_steps_ == kCalibrationSteps)
      parallel_ = calibration_seconds_ / kCalibrationSteps > kMinParallelSeconds;
  } else if (can_thread && parallel_) {
    // an Error thrown on a worker (a bad action) is carried back to this thread
    step_errors_.assign(n, nullptr);  // sized once: no allocation per step
    // small claims, so that a thread that finishes early takes the next ones (MuJoCo copies vary in
    // cost), but at least 1/16 of a thread's share each: thousands of one-claim copies would spend
    // the step fighting over the claim counter
    const int grain = std::max(1, n / (16 * pool_->num_threads()));
    pool_->ParallelFor(n, [&](int begin, int end) {
      try {
        step_range(begin, end);
      } catch (...) {
        step_errors_[begin] = std::current_exception();
      }
    }, grain);
    for (auto& e : step_errors_)
      if (e) std::rethrow_exception(e);
  } else {
    step_range(0, n);
  }
}

void VectorEnv::Step(std::span<const float> actions, std::span<float> obs,
                     std::span<float> rewards, std::span<uint8_t> terminated,
                     std::span<uint8_t> truncated, std::span<const uint8_t> skip) {
  const int n = num_envs();
  RATCHET_CHECK(actions.size() == static_cast<size_t>(n) * act_dim_ &&
                    obs.size() == static_cast<size_t>(n) * obs_dim_ && rewards.size() == size_t(n) &&
                    terminated.size() == size_t(n) && truncated.size() == size_t(n) &&
                    (skip.empty() || skip.size() == size_t(n)),
                "VectorEnv::Step buffer sizes");
  const auto t0 = Clock::now();
  std::string error;
  try {
    StepLocal(actions, obs, rewards, terminated, truncated, skip);
  } catch (const std::exception& e) {
    if (comm_ == nullptr) throw;
    error = e.what();  // every rank learns of it in the exchange
  }
  sim_seconds_ += Since(t0);
  if (comm_ != nullptr) Exchange(error, obs, rewards, terminated, truncated, true);
  for (int i = 0; i < n; ++i) {
    if (!finished_[i]) continue;
    stats_.push_back({i, ep_return_[i], ep_length_[i]});
    ep_return_[i] = 0.0;
    ep_length_[i] = 0;
  }
}

void VectorEnv::Exchange(const std::string& error, std::span<float> obs, std::span<float> rewards,
                         std::span<uint8_t> terminated, std::span<uint8_t> truncated, bool stepped) {
  const auto t0 = Clock::now();
  // this rank's rows: a status, then per local copy its observation and, after a step, reward,
  // flags, episode counters and the final observation of a finished episode
  ByteWriter& w = exchange_out_;
  w.buf.clear();  // the buffers keep their capacity: no allocation per step
  w.Put<uint8_t>(!error.empty());
  if (!error.empty()) {
    w.PutArray(std::span<const char>(error.data(), error.size()));
  } else {
    for (int i = lo_; i < lo_ + num_local(); ++i) {
      w.PutArray(std::span<const float>(obs.subspan(static_cast<size_t>(i) * obs_dim_, obs_dim_)));
      if (!stepped) continue;
      w.Put(rewards[i]);
      w.Put(terminated[i]);
      w.Put(truncated[i]);
      w.Put(finished_[i]);
      w.Put(ep_return_[i]);
      w.Put(ep_length_[i]);
      if (finished_[i]) w.PutArray(std::span<const float>(final_obs(i)));
    }
  }
  comm_->AllGatherInto(w.buf, exchange_in_, exchange_offsets_);
  const int k = comm_->size();
  auto part = [&](int r) {
    return std::span<const uint8_t>(exchange_in_)
        .subspan(exchange_offsets_[r], exchange_offsets_[r + 1] - exchange_offsets_[r]);
  };
  for (int r = 0; r < k; ++r) {
    ByteReader rd(part(r), "environment exchange");
    if (rd.Get<uint8_t>() != 0) {
      const std::vector<char> text = rd.GetVector<char>();
      throw CollectiveError("rank " + std::to_string(r) + ": " + std::string(text.begin(), text.end()));
    }
  }
  for (int r = 0; r < k; ++r) {
    if (r == comm_->rank()) continue;
    ByteReader rd(part(r), "environment exchange");
    rd.Get<uint8_t>();
    const int begin = static_cast<int>(static_cast<int64_t>(n_) * r / k);
    const int end = static_cast<int>(static_cast<int64_t>(n_) * (r + 1) / k);
    for (int i = begin; i < end; ++i) {
      rd.GetArray(obs.subspan(static_cast<size_t>(i) * obs_dim_, obs_dim_), "observation");
      if (!stepped) continue;
      rewards[i] = rd.Get<float>();
      terminated[i] = rd.Get<uint8_t>();
      truncated[i] = rd.Get<uint8_t>();
      finished_[i] = rd.Get<uint8_t>();
      ep_return_[i] = rd.Get<double>();
      ep_length_[i] = rd.Get<int>();
      if (finished_[i])
        rd.GetArray(std::span<float>(final_obs_.data() + static_cast<size_t>(i) * obs_dim_, obs_dim_),
                    "final observation");
    }
    rd.ExpectEnd();
  }
  comm_seconds_ += Since(t0);
}

void VectorEnv::Serialize(Archive& ar, bool environments) {
  uint64_t n = static_cast<uint64_t>(n_);
  ar(n);
  if (n != static_cast<uint64_t>(n_)) throw Error("checkpoint holds a different number of environment copies");
  std::string why;  // loading: the first local copy that cannot be restored
  if (ar.saving()) {
    // an environment that cannot save its state leaves an empty record: the checkpoint still
    // holds the model, and resuming it is refused with the reason
    auto state_of = [](const Env& env) { return env.can_save_state() ? env.SaveState() : std::vector<uint8_t>(); };
    ByteWriter& w = *ar.writer();
    if (comm_ == nullptr) {
      for (const auto& env : envs_) w.PutArray(std::span<const uint8_t>(state_of(*env)));
    } else {
      // every rank's copies, gathered in copy order: the same bytes as one process writes
      ByteWriter mine;
      for (const auto& env : envs_) mine.PutArray(std::span<const uint8_t>(state_of(*env)));
      for (const std::vector<uint8_t>& part : comm_->AllGather(mine.buf))
        w.buf.insert(w.buf.end(), part.begin(), part.end());
    }
  } else {
    restart_note_.clear();
    for (int i = 0; i < n_; ++i) {
      const std::vector<uint8_t> state = ar.reader()->GetVector<uint8_t>();
      if (!environments || i < lo_ || i >= lo_ + num_local() || !why.empty()) continue;  // not restored here
      Env& env = *envs_[i - lo_];
      if (state.empty() && !env.can_save_state()) {
        why = "environment '" + env.spec().id + "' does not save its state (a C++ environment implements "
              "Serialize; a Python one get_state()/set_state(state), or pickles)";
        continue;
      }
      try {
        env.RestoreState(state);
      } catch (const StateUnavailable& e) {
        why = e.what();
      }
    }
  }
  ar(std::span<double>(ep_return_), "episode return");
  ar(std::span<int>(ep_length_), "episode length");
  if (ar.saving()) return;
  stats_.clear();
  if (comm_ != nullptr && environments) {  // every rank learns whether any copy was not restored
    const std::vector<uint8_t> mine(why.begin(), why.end());
    for (const std::vector<uint8_t>& theirs : comm_->AllGather(mine))
      if (!theirs.empty()) {
        why.assign(theirs.begin(), theirs.end());
        break;
      }
  }
  if (!why.empty()) {
    restart_note_ = why + ": its " + std::to_string(n_) + " copies start new episodes, so this continuation "
                    "is not bit-identical to an uninterrupted run";
    std::fill(ep_return_.begin(), ep_return_.end(), 0.0);
    std::fill(ep_length_.begin(), ep_length_.end(), 0);
  }
}

std::vector<EpisodeStat> VectorEnv::TakeEpisodeStats() {
  std::vector<EpisodeStat> out;
  MoveEpisodeStats(out);
  return out;
}

void VectorEnv::MoveEpisodeStats(std::vector<EpisodeStat>& out) {
  out.insert(out.end(), stats_.begin(), stats_.end());
  stats_.clear();  // keeps its capacity: no allocation per step
}

}  // namespace ratchet
