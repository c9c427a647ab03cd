#!/usr/bin/env bash
# Set up, build, run each fuzz target for a short while, then the whole test suite under ctest
# (C++, Python, consumer projects, fuzz regressions).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# every loader's libFuzzer target, briefly (the long runs: bash scripts/fuzz.sh 600 all)
bash scripts/fuzz.sh "${RATCHET_FUZZ_SECONDS:-10}" all
ctest --preset release
