#!/usr/bin/env bash
# The C export's size and speed: PPO policies for HalfCheetah-v4 (tanh, observation normaliser;
# 64x64 and the preset's 256x256) exported with `ratchet export --format c`, then
#   - x86-64: compiled as its header says (-O3 -march=x86-64-v3 -ffp-contract=off): code and
#     weight bytes, and the time of one policy_act call (median of 5 runs of 100,000 calls);
#   - 32-bit ARM (arm-none-eabi-gcc from Debian's gcc-arm-none-eabi, if installed), compiled
#     only, -Os: Cortex-M4F (single-precision FPU) and Cortex-M0 (no FPU, soft float).
# Run it alone on the machine (the latency is a wall time).
#   bash bench/c_export.sh [OUT_DIR]      (default runs/bench/c_export)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/bench/c_export}
rm -rf "$OUT" && mkdir -p "$OUT"
R=build/release/ratchet
[ -x $R ] || bash scripts/build.sh
sections() {  # .text and .rodata bytes of an object file
  "$1" -A "$2" | awk '$1==".text"{t=$2} $1==".rodata"{r=$2} END{printf "%d %d\n", t, r}'
}
echo "| network | target | flags | code (.text) | weights (.rodata) | one policy_act |"
echo "|---|---|---|---|---|---|"
for arch in 64,64 256,256; do
D="$OUT/$arch"
mkdir -p "$D"
$R train --algo ppo --env HalfCheetah-v4 --steps 4096 --set n_steps=1024 --set n_envs=2 --set normalize_obs=true \
  --set eval_episodes=0 --set "net_arch=[$arch]" --run-dir "$D/run" --quiet >/dev/null
$R export "$D/run" --format c -o "$D/cheetah" >/dev/null
flags=$(grep -o '`cc [^`]*`' "$D/cheetah.h" | tr -d '`' | cut -d' ' -f2-)
cat > "$D/time.c" <<'C'
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>
#include "cheetah.h"
int main(void) {
  static float obs[CHEETAH_OBS_DIM], act[CHEETAH_ACTION_DIM];
  struct timespec a, b;
  float sink = 0.0f;
  int i, j;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (i = 0; i < 100000; ++i) {
    for (j = 0; j < CHEETAH_OBS_DIM; ++j) obs[j] = 0.001f * (float)((i + 7 * j) % 997) - 0.5f;
    cheetah_act(obs, act);
    sink += act[0];
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.3f %g\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e5 / 1e3, sink);
  return 0;
}
C
cc $flags -c "$D/cheetah.c" -o "$D/cheetah.o"
cc $flags -I"$D" "$D/time.c" "$D/cheetah.o" -o "$D/time" -lm
read -r text rodata < <(sections size "$D/cheetah.o")
times=$(for k in 1 2 3 4 5; do "$D/time" | cut -d' ' -f1; done | sort -n | sed -n 3p)
echo "| $arch | x86-64 | $flags | $text B | $rodata B | $times us |"
if command -v arm-none-eabi-gcc >/dev/null; then
  for cpu in "cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16" "cortex-m0 -mfloat-abi=soft"; do
    f="-std=c99 -Os -mthumb -mcpu=$cpu -ffp-contract=off"
    arm-none-eabi-gcc $f -c "$D/cheetah.c" -o "$D/arm.o"
    read -r text rodata < <(sections arm-none-eabi-size "$D/arm.o")
    echo "| $arch | ARM ${cpu%% *} (compiled only) | $f | $text B | $rodata B | - |"
  done
fi
done
