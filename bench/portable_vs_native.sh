#!/usr/bin/env bash
# Portable (x86-64-v3, -ffp-contract=off: the default `release` preset) against native
# (-march=native: the `native` preset) on the same machine: PPO CartPole-v1 100k (5 seeds), PPO
# HalfCheetah-v4 1M in the PPO paper's setting (3 seeds), the MLP micro-benchmarks (5 repetitions).
# Run it alone on the machine: every number is a wall time.
#   bash bench/portable_vs_native.sh [OUT_DIR]      (default runs/bench/isa)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/bench/isa}
mkdir -p "$OUT"
source bench/settings.sh  # PPO_PAPER_HC
for preset in release native; do
  cmake --preset $preset >/dev/null
  cmake --build --preset $preset -j "$(nproc)" --target ratchet bench_ppo_cartpole bench_nn >/dev/null
done
for preset in release native; do
  B=build/$preset
  echo "== $preset"
  "$B/bench/bench_ppo_cartpole" --seeds 5 | tee "$OUT/$preset-cartpole.txt"
  "$B/bench/bench_nn" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true 2>/dev/null |
    grep "_median" | tee "$OUT/$preset-nn.txt"
  : > "$OUT/$preset-hc.txt"
  for s in 0 1 2; do
    rm -rf "$OUT/$preset-hc-$s"
    "$B/ratchet" train --algo ppo --env HalfCheetah-v4 --seed $s --steps 1000000 --quiet --set eval_episodes=0 \
      $PPO_PAPER_HC --run-dir "$OUT/$preset-hc-$s" | grep "trained" | tee -a "$OUT/$preset-hc.txt"
  done
done
