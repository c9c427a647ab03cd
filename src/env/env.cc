// Spaces and the TimeLimit wrapper.
#include <fmt/format.h>

#include "core/bytes.h"
#include "ratchet/env.h"

namespace ratchet {

Space Space::Box(std::vector<float> low, std::vector<float> high) {
  RATCHET_CHECK(low.size() == high.size() && !low.empty(), "Box bounds must match and be non-empty");
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

double StepInfo::Get(const std::string& name) const {
  for (const auto& [k, v] : items)
    if (k == name) return v;
  throw Error("step info has no '" + name + "'");
}

const StepInfo& Env::info() const {
  static const StepInfo empty;
  return empty;
}

void Env::Render(int, int, std::vector<uint8_t>*) {
  throw Error(spec().id + " has no renderer");
}

TimeLimit::TimeLimit(std::unique_ptr<Env> env, int max_steps)
    : env_(std::move(env)), max_steps_(max_steps) {}

void TimeLimit::Reset(uint64_t seed, std::span<float> obs) {
  elapsed_ = 0;
  env_->Reset(seed, obs);
}

void TimeLimit::Reset(std::span<float> obs) {
  elapsed_ = 0;
  env_->Reset(obs);
}

StepResult TimeLimit::Step(std::span<const float> action, std::span<float> obs) {
  StepResult r = env_->Step(action, obs);
  ++elapsed_;
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
