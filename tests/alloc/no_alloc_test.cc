// A separate test binary: it replaces the global operator new/delete to count heap allocations,
// which must not leak into the main suite (third-party code there, such as the OSMesa renderer,
// uses other allocation functions).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "ratchet/nn.h"

static std::atomic<bool> g_count_allocs{false};
static std::atomic<long> g_allocs{0};
void* operator new(size_t n) {
  if (g_count_allocs) ++g_allocs;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace ratchet {
namespace {

TEST(MlpTest, NoHeapAllocationOnceWarm) {
  Mlp<float> mlp({4, {64, 64}, 2, Activation::kTanh});
  std::vector<float> p(mlp.num_params()), g(mlp.num_params(), 0.0f), v(mlp.num_params(), 0.1f);
  Rng rng(1);
  mlp.Init(p, rng, 0.01);
  Mat<float> x = Mat<float>::Random(4, 256), dy = Mat<float>::Random(2, 256);
  MlpWorkspace<float> ws;
  mlp.Forward(p, x, ws);  // warm-up sizes the workspace
  mlp.Backward(p, g, dy, ws);
  mlp.Jvp(p, v, ws);
  g_allocs = 0;
  g_count_allocs = true;
  for (int k = 0; k < 3; ++k) {
    mlp.Forward(p, x, ws);
    mlp.Backward(p, g, dy, ws);
    mlp.Jvp(p, v, ws);
    mlp.Forward(p, x.leftCols(8), ws);  // a smaller batch reuses the same buffers
  }
  g_count_allocs = false;
  EXPECT_EQ(g_allocs.load(), 0);
}

}  // namespace
}  // namespace ratchet
