#!/usr/bin/env bash
# The main job: set up, build, and train PPO on CartPole-v1 from the default preset.
# Extra arguments go to `ratchet train` (e.g. --seed 2, --set n_epochs=10).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec ./build/release/ratchet train --algo ppo --env CartPole-v1 "$@"
