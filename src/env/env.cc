// Spaces, the Env defaults, EnvBase and the TimeLimit wrapper.
#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "ratchet/bytes.h"
#include "ratchet/env.h"

namespace ratchet {

namespace {

// What every environment's output must be, checked where it enters Ratchet (EnvBase, and
// TimeLimit for any other Env: a Python environment, an Env written from scratch).
void CheckResetOutput(const std::string& id, std::span<const float> obs) {
  for (size_t i = 0; i < obs.size(); ++i)
    if (!std::isfinite(obs[i]))
      throw Error(fmt::format("{}: Reset produced a non-finite observation (element {} is {})", id, i, obs[i]));
}

void CheckStepOutput(const std::string& id, int64_t step, const StepResult& r, std::span<const float> obs) {
  if (!std::isfinite(r.reward))
    throw Error(fmt::format("{}: step {} of the episode returned a non-finite reward ({})", id, step, r.reward));
  if (std::abs(r.reward) > std::numeric_limits<float>::max())
    throw Error(fmt::format("{}: step {} of the episode returned a reward of {} that does not fit in a float "
                            "(at most {:g} in magnitude)", id, step, r.reward, std::numeric_limits<float>::max()));
  for (size_t i = 0; i < obs.size(); ++i)
    if (!std::isfinite(obs[i]))
      throw Error(fmt::format("{}: step {} of the episode produced a non-finite observation (element {} is {})", id,
                              step, i, obs[i]));
}

}  // namespace

Space Space::Box(std::vector<float> low, std::vector<float> high) {
  if (low.empty() || low.size() != high.size())
    throw Error(fmt::format("a Box space needs as many high bounds as low bounds, and at least one; got {} low "
                            "and {} high (an environment with a zero-dimensional space?)", low.size(), high.size()));
  Space s;
  s.kind = Kind::kBox;
  s.low = std::move(low);
  s.high = std::move(high);
  return s;
}

Space Space::Discrete(int n) {
  RATCHET_CHECK(n > 0, "Discrete(n) needs n > 0");
  Space s;
  s.kind = Kind::kDiscrete;
  s.n = n;
  return s;
}

std::string Space::ToString() const {
  return is_discrete() ? fmt::format("Discrete({})", n) : fmt::format("Box({})", low.size());
}

void StepInfo::Set(const char* name, double value) {
  for (auto& [k, v] : items)
    if (k == name) {
      v = value;
      return;
    }
  items.emplace_back(name, value);
}

void StepInfo::SetArray(const char* name, std::span<const double> values) {
  for (auto& [k, v] : arrays)
    if (k == name) {
      v.assign(values.begin(), values.end());
      return;
    }
  arrays.emplace_back(name, std::vector<double>(values.begin(), values.end()));
}

double StepInfo::Get(const std::string& name) const {
  for (const auto& [k, v] : items)
    if (k == name) return v;
  throw Error("step info has no '" + name + "'");
}

void Env::SetResetOptions(const EnvKwargs& options) {
  if (options.empty()) return;
  throw Error(fmt::format("{}: reset takes no options, got {}; its start states come from its own distribution",
                          spec().id, FormatEnvKwargs(options)));
}

const StepInfo& Env::info() const {
  static const StepInfo empty;
  return empty;
}

void Env::Render(int, int, std::vector<uint8_t>*) {
  throw Error(spec().id + " has no renderer");
}

namespace {

[[noreturn]] void NoSavedState(const std::string& id) {
  throw Error(fmt::format("environment '{}' does not save its state (it implements no "
                          "SaveState/Serialize), so its runs cannot be resumed from a checkpoint", id));
}

}  // namespace

std::vector<uint8_t> Env::SaveState() const { NoSavedState(spec().id); }

void Env::RestoreState(std::span<const uint8_t>) { NoSavedState(spec().id); }

//---------------------------------- EnvBase ---------------------------------------------------

namespace {

// The saved layout: a tag, the generator, the counters, then the environment's own fields.
constexpr uint32_t kEnvBaseStateTag = 0x52455631;  // "REV1"

}  // namespace

EnvBase::EnvBase(EnvSpec spec) : spec_(std::move(spec)) {}

void EnvBase::Serialize(StateArchive& ar) { ar.MarkUnsupported(); }

void EnvBase::Reset(uint64_t seed, std::span<float> obs) {
  rng_ = Rng(seed);
  Reset(obs);
}

void EnvBase::Reset(std::span<float> obs) {
  if (obs.size() != static_cast<size_t>(spec_.observation_space.flat_dim()))
    throw Error(fmt::format("{}: Reset got an observation buffer of {} values, expected {}", spec_.id,
                            obs.size(), spec_.observation_space.flat_dim()));
  episode_steps_ = 0;
  OnReset(obs);
  CheckResetOutput(spec_.id, obs);
}

StepResult EnvBase::Step(std::span<const float> action, std::span<float> obs) {
  const Space& as = spec_.action_space;
  if (action.size() != static_cast<size_t>(as.flat_dim()))
    throw Error(fmt::format("{}: action has {} values, expected {} ({})", spec_.id, action.size(),
                            as.flat_dim(), as.ToString()));
  if (as.is_discrete()) {
    const float a = action[0];
    if (!(a >= 0.0f && a < static_cast<float>(as.n) && a == std::floor(a)))
      throw Error(fmt::format("{}: action must be a whole number in [0, {}) ({}), got {}", spec_.id,
                              as.n, as.ToString(), a));
  } else {
    for (size_t i = 0; i < action.size(); ++i)
      if (!std::isfinite(action[i]))
        throw Error(fmt::format("{}: action[{}] is not a finite number ({})", spec_.id, i, action[i]));
  }
  if (obs.size() != static_cast<size_t>(spec_.observation_space.flat_dim()))
    throw Error(fmt::format("{}: Step got an observation buffer of {} values, expected {}", spec_.id,
                            obs.size(), spec_.observation_space.flat_dim()));
  const StepResult r = OnStep(action, obs);
  ++episode_steps_;
  ++total_steps_;
  CheckStepOutput(spec_.id, episode_steps_, r, obs);
  return r;
}

bool EnvBase::can_save_state() const {
  if (can_save_ < 0) {
    ByteWriter w;
    StateArchive ar(&w);
    const_cast<EnvBase*>(this)->Serialize(ar);
    can_save_ = ar.unsupported() ? 0 : 1;
  }
  return can_save_ == 1;
}

std::vector<uint8_t> EnvBase::SaveState() const {
  if (!can_save_state()) NoSavedState(spec_.id);
  ByteWriter w;
  w.Put(kEnvBaseStateTag);
  w.Put(rng_.state());
  w.Put(episode_steps_);
  w.Put(total_steps_);
  StateArchive ar(&w);
  const_cast<EnvBase*>(this)->Serialize(ar);  // a saving archive only reads the fields
  return w.buf;
}

void EnvBase::RestoreState(std::span<const uint8_t> state) {
  if (!can_save_state()) NoSavedState(spec_.id);
  ByteReader r(state, spec_.id + " saved state");
  if (r.Get<uint32_t>() != kEnvBaseStateTag)
    throw Error(spec_.id + " saved state was not written by this environment (wrong tag)");
  const Rng::State rs = r.Get<Rng::State>();
  const int64_t episode_steps = r.Get<int64_t>();
  const int64_t total_steps = r.Get<int64_t>();
  StateArchive ar(&r);
  Serialize(ar);
  r.ExpectEnd();
  rng_.set_state(rs);
  episode_steps_ = episode_steps;
  total_steps_ = total_steps;
}

//---------------------------------- TimeLimit -------------------------------------------------

TimeLimit::TimeLimit(std::unique_ptr<Env> env, int max_steps, std::optional<EnvSpec> spec)
    : env_(std::move(env)),
      max_steps_(max_steps),
      spec_(std::move(spec)),
      check_(dynamic_cast<const EnvBase*>(env_.get()) == nullptr) {}

namespace {

// Runs an environment's own code: anything it throws that is not a std::exception becomes an
// Error naming the environment (and its plugin), instead of ending the process.
template <typename F>
auto Guarded(const std::string& id, const char* what, F&& f) {
  try {
    return f();
  } catch (const std::exception&) {
    throw;
  } catch (...) {
    std::string source;
    try {
      source = EnvSourceOf(id);
    } catch (const Error&) {
    }
    throw Error(fmt::format("environment '{}'{}: {} threw something that is not a std::exception", id,
                            source.empty() ? "" : " (plugin " + source + ")", what));
  }
}

}  // namespace

void TimeLimit::Reset(uint64_t seed, std::span<float> obs) {
  elapsed_ = 0;
  Guarded(spec().id, "Reset", [&] { env_->Reset(seed, obs); });
  if (check_) CheckResetOutput(spec().id, obs);
}

void TimeLimit::Reset(std::span<float> obs) {
  elapsed_ = 0;
  Guarded(spec().id, "Reset", [&] { env_->Reset(obs); });
  if (check_) CheckResetOutput(spec().id, obs);
}

StepResult TimeLimit::Step(std::span<const float> action, std::span<float> obs) {
  StepResult r = Guarded(spec().id, "Step", [&] { return env_->Step(action, obs); });
  ++elapsed_;
  if (check_) CheckStepOutput(spec().id, elapsed_, r, obs);
  if (max_steps_ > 0 && elapsed_ >= max_steps_) r.truncated = true;
  return r;
}

std::vector<uint8_t> TimeLimit::SaveState() const {
  ByteWriter w;
  w.PutArray(std::span<const uint8_t>(env_->SaveState()));
  w.Put(elapsed_);
  return w.buf;
}

void TimeLimit::RestoreState(std::span<const uint8_t> state) {
  ByteReader r(state, spec().id + " saved state");
  const std::vector<uint8_t> inner = r.GetVector<uint8_t>();
  const int elapsed = r.Get<int>();
  r.ExpectEnd();
  env_->RestoreState(inner);
  elapsed_ = elapsed;
}

}  // namespace ratchet
