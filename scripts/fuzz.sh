#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang-14 with ASan + UBSan) into build/fuzz and runs each
# for SECONDS (default 60), or for N executions (--runs N), from its seed corpus (fuzz/corpus/<target>) and every reproducer
# (fuzz/regressions/<target>). Exits non-zero on any finding; the input that caused it is left in
# build/fuzz/artifacts/<target>/ (copy it to fuzz/regressions/<target>/ once fixed).
#   bash scripts/fuzz.sh [SECONDS | --runs N] [TARGET... | all]
# Targets: policy_file, checkpoint, preset_yaml (the default: built from a few sources, seconds),
# model_file, run_config, run_logs, trainer_payload, search_space, tune_trials (these build the
# whole library for fuzzing first: minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
limit=(-max_total_time=60)
if [ "${1:-}" = --runs ]; then
  [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "fuzz: --runs needs a number of executions" >&2; exit 2; }
  limit=(-runs="$2"); shift 2
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  limit=(-max_total_time="$1"); shift
fi
targets=("$@")
tbuild=()
[ ${#targets[@]} -eq 0 ] && targets=(policy_file checkpoint preset_yaml)
[ "${targets[*]}" = all ] && targets=(policy_file checkpoint preset_yaml model_file run_config run_logs trainer_payload
                                      search_space tune_trials)
full=OFF
for t in "${targets[@]}"; do
  case $t in
    policy_file|checkpoint|preset_yaml) ;;
    model_file|run_config|run_logs|trainer_payload|search_space|tune_trials) full=ON ;;
    *) echo "fuzz: unknown target '$t'" >&2; exit 2 ;;
  esac
done
command -v clang++-14 >/dev/null || { echo "fuzz: clang++-14 is missing (scripts/setup.sh installs it)" >&2; exit 2; }
B=build/fuzz
cmake -S fuzz -B $B -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=None -DRATCHET_FUZZ_FULL=$full >/dev/null
for t in "${targets[@]}"; do tbuild+=(--target "fuzz_$t"); done
cmake --build $B -j "$(nproc)" "${tbuild[@]}" >"$B/build.log" 2>&1 || {
  grep -E "error|FAILED" "$B/build.log" | head -20 >&2
  echo "fuzz: building the fuzz targets failed; the whole output is in $B/build.log" >&2
  exit 1
}
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for t in "${targets[@]}"; do
  mkdir -p "$B/corpus/$t" "$B/artifacts/$t" "fuzz/corpus/$t" "fuzz/regressions/$t"
  echo "fuzz: $t (${limit[*]#-})"
  "$B/fuzz_$t" "$B/corpus/$t" "fuzz/corpus/$t" "fuzz/regressions/$t" "${limit[@]}" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$B/artifacts/$t/" 2>"$B/$t.log" || {
    tail -40 "$B/$t.log" >&2
    echo "fuzz: $t found a problem; the input is in $B/artifacts/$t/" >&2
    exit 1
  }
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$B/$t.log" | sed "s/^/fuzz: $t: /"
  rm -rf /dev/shm/ratchet_fuzz_* 2>/dev/null || true
done
