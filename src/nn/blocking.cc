// Eigen's product blocking, fixed (see PinProductBlocking in ratchet/nn.h).
#include <Eigen/Core>

#include "ratchet/nn.h"

namespace ratchet {

CacheSizes PinnedCacheSizes() { return {48 * 1024, 2 * 1024 * 1024, 32 * 1024 * 1024}; }

CacheSizes EigenCacheSizes() {
  CacheSizes c;
  Eigen::internal::manage_caching_sizes(Eigen::GetAction, &c.l1, &c.l2, &c.l3);
  return c;
}

CacheSizes CpuCacheSizes() {
  int l1 = 0, l2 = 0, l3 = 0;
  Eigen::internal::queryCacheSizes(l1, l2, l3);
  return {l1, l2, l3};
}

void PinProductBlocking() {
  const CacheSizes want = PinnedCacheSizes();
  if (EigenCacheSizes() == want) return;
  Eigen::setCpuCacheSizes(want.l1, want.l2, want.l3);
}

namespace {
// Loading the library pins the sizes before any product runs (a user's loop over Collector and
// Algorithm, the Python module, a plugin host).
const bool pinned_at_load = (PinProductBlocking(), true);
}  // namespace

}  // namespace ratchet
