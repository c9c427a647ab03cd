// MLP forward / backward micro-benchmarks on the PPO CartPole shapes (4 -> 64 -> 64 -> 2, tanh).
//   ./build/release/bench/bench_nn --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "ratchet/nn.h"

namespace {

using namespace ratchet;

struct Fixture {
  Mlp<float> mlp{MlpSpec{4, {64, 64}, 2, Activation::kTanh}};
  AlignedVector<float> params, grads, v;
  Mat<float> x, dy;
  MlpWorkspace<float> ws;
  explicit Fixture(int batch) : params(mlp.num_params()), grads(mlp.num_params(), 0.0f), v(mlp.num_params(), 0.01f) {
    Rng rng(1);
    mlp.Init(params, rng, 0.01);
    x = Mat<float>::Random(4, batch);
    dy = Mat<float>::Random(2, batch);
    mlp.Forward(params, x, ws);
  }
};

// FLOPs of one forward (2 per multiply-add), for the GFLOP/s counter
double ForwardFlops(int batch) { return 2.0 * batch * (4 * 64 + 64 * 64 + 64 * 2); }

void BM_MlpForward(benchmark::State& state) {
  const int B = static_cast<int>(state.range(0));
  Fixture f(B);
  for (auto _ : state) benchmark::DoNotOptimize(f.mlp.Forward(f.params, f.x, f.ws).data());
  state.counters["samples/s"] = benchmark::Counter(B, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(ForwardFlops(B) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MlpForwardBackward(benchmark::State& state) {
  const int B = static_cast<int>(state.range(0));
  Fixture f(B);
  for (auto _ : state) {
    f.mlp.Forward(f.params, f.x, f.ws);
    f.mlp.Backward(f.params, f.grads, f.dy, f.ws);
    benchmark::DoNotOptimize(f.grads.data());
  }
  state.counters["samples/s"] = benchmark::Counter(B, benchmark::Counter::kIsIterationInvariantRate);
  // backward costs two GEMMs per layer (dW and dX) against forward's one
  state.counters["GFLOP/s"] =
      benchmark::Counter(3 * ForwardFlops(B) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MlpJvp(benchmark::State& state) {
  const int B = static_cast<int>(state.range(0));
  Fixture f(B);
  for (auto _ : state) benchmark::DoNotOptimize(f.mlp.Jvp(f.params, f.v, f.ws).data());
  state.counters["samples/s"] = benchmark::Counter(B, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_AdamStep(benchmark::State& state) {
  Fixture f(8);
  Adam adam(f.mlp.num_params());
  for (auto _ : state) {
    adam.Step(f.params, f.grads, 1e-9);
    benchmark::DoNotOptimize(f.params.data());
  }
}

BENCHMARK(BM_MlpForward)->Arg(8)->Arg(256);
BENCHMARK(BM_MlpForwardBackward)->Arg(8)->Arg(256);
BENCHMARK(BM_MlpJvp)->Arg(8)->Arg(256);
BENCHMARK(BM_AdamStep);

}  // namespace
