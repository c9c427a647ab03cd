// Internal: the FNV-1a (64 bit) checksum of model files, checkpoints and .rpol policy files.
// Standard library only, so that the standalone deploy library can share it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ratchet {

inline uint64_t Fnv1a(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

}  // namespace ratchet
