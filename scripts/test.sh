#!/usr/bin/env bash
# Set up, build, run each fuzz target for a short while, then the whole test suite under ctest
# (C++, Python, consumer projects, fuzz regressions). Prints the seconds each stage took.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
bash scripts/build.sh
built=$SECONDS
# the file-format loaders' libFuzzer targets (.rpol, checkpoint, preset YAML), briefly, under ASan and
# UBSan; every target's corpus and reproducers (all nine) are replayed by ctest below. The targets
# that need the whole library rebuilt for fuzzing (minutes) run in campaigns:
#   bash scripts/fuzz.sh --runs 1000000 all
bash scripts/fuzz.sh "${RATCHET_FUZZ_SECONDS:-10}"
fuzzed=$SECONDS
ctest --preset release
echo "test.sh: setup and build $((built - start)) s, fuzzing $((fuzzed - built)) s, ctest $((SECONDS - fuzzed)) s"
