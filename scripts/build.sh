#!/usr/bin/env bash
# Sets up dependencies and builds the release preset (build/release).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
