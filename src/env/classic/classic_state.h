// Internal: the saved state of a classic-control environment is its physics state in double,
// its generator and (CartPole only) one counter.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/bytes.h"

namespace ratchet {

inline std::vector<uint8_t> SaveClassicState(std::span<const double> physics, const Rng& rng, int counter = 0) {
  ByteWriter w;
  w.PutArray(physics);
  w.Put(rng.state());
  w.Put(counter);
  return w.buf;
}

// Throws Error naming `id` when the bytes are not such a state.
inline void RestoreClassicState(std::span<const uint8_t> bytes, const std::string& id,
                                std::span<double> physics, Rng* rng, int* counter = nullptr) {
  ByteReader r(bytes, id + " saved state");
  r.GetArray(physics, "state");
  const Rng::State rs = r.Get<Rng::State>();
  const int c = r.Get<int>();
  r.ExpectEnd();
  rng->set_state(rs);
  if (counter != nullptr) *counter = c;
}

}  // namespace ratchet
