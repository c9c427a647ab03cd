// A separate test binary: it replaces the global operator new/delete to count heap allocations,
// which must not leak into the main suite (third-party code there, such as the OSMesa renderer,
// uses other allocation functions).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <tuple>

#include "ratchet/algo.h"
#include "ratchet/core.h"
#include "ratchet/env.h"
#include "ratchet/nn.h"
#include "ratchet/policy.h"

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

// Training with thousands of environment copies: once the first rollout has sized every buffer, a
// rollout allocates nothing per step. What remains is the list of finished episodes it returns
// (one vector growing geometrically), so the count is bounded by its doublings, whatever T.
long RolloutAllocations(const std::string& env, int n, int T, bool normalize, int* episodes, int threads = 1) {
  ThreadPool pool(threads);
  VectorEnv venv(env, n, threads > 1 ? &pool : nullptr);
  if (threads > 1) venv.set_threading(VectorEnv::Threading::kAlways);
  const EnvSpec& spec = venv.spec();
  const NetConfig net;
  Policy policy(spec.observation_space, spec.action_space, net);
  ValueFunction value(spec.observation_space.flat_dim(), net);
  Rng rng(1);
  policy.Init(rng);
  value.Init(rng);
  CollectorOptions o;
  o.normalize_obs = normalize;
  o.normalize_reward = normalize;
  Collector collector(policy, value, venv, o, Rng(2));
  collector.Reset(1);
  Rollout r;
  r.Resize(T, n, spec.observation_space.flat_dim(), spec.action_space.flat_dim());
  collector.Collect(r);  // warm-up: sizes the workspaces
  g_allocs = 0;
  g_count_allocs = true;
  *episodes = static_cast<int>(collector.Collect(r).size());
  g_count_allocs = false;
  return g_allocs.load();
}

TEST(CollectorTest, ThousandsOfCopiesAllocateNothingPerStep) {
  for (const auto& [env, n, normalize, threads] :
       {std::tuple{"CartPole-v1", 4096, false, 1}, std::tuple{"CartPole-v1", 1024, true, 2},
        std::tuple{"HalfCheetah-v4", 1024, true, 2}}) {
    SCOPED_TRACE(std::string(env) + " x " + std::to_string(n) + ", threads " + std::to_string(threads));
    int episodes = 0;
    const long allocs = RolloutAllocations(env, n, 16, normalize, &episodes, threads);
    // the returned vector's growth: at most one allocation per doubling
    long bound = 1;
    while ((1L << (bound - 1)) <= episodes) ++bound;
    EXPECT_LE(allocs, bound) << episodes << " episodes";
  }
}

}  // namespace
}  // namespace ratchet
