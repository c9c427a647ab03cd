#!/usr/bin/env bash
# Ratchet against its peers on this machine (bench/peers/peers.py says what is measured): builds
# .venv-peers (Debian's Python and NumPy, the peers pinned below, from pip's index) and Ratchet's
# release build if missing, then runs the comparisons and writes their tables into
# docs/BENCHMARKS.md ("Ratchet vs peers"). Run it alone on the machine: the numbers are wall times.
#   bash bench/peers/run.sh            # everything (about 45 minutes)
#   bash bench/peers/run.sh --quick    # a smoke run of every part (under 2 minutes; writes nothing)
set -euo pipefail
cd "$(dirname "$0")/../.."
quick=${1:-}
[ -x build/release/ratchet ] || bash scripts/build.sh
venv=.venv-peers
if [ ! -x $venv/bin/python ]; then
  /usr/bin/python3 -m venv --system-site-packages $venv
fi
pins=(numpy==1.24.2 gymnasium==1.4.0 mujoco==4.0.0 imageio==2.38.2 stable-baselines3==2.9.2 sb3-contrib==2.9.2
      torch==2.15.0 envpool==1.2.5)
$venv/bin/pip install -q --disable-pip-version-check "${pins[@]}" >&2
# rlox when its wheel installs here (optional: the table says when it does not)
$venv/bin/pip install -q --disable-pip-version-check rlox==1.2.0 numpy==1.24.2 >&2 2>/dev/null ||
  echo "peers: rlox does not install here; its rows are left out" >&2
export PYTHONPATH=$PWD/build/release/python
if [ "$quick" = --quick ]; then
  exec $venv/bin/python bench/peers/peers.py --quick
fi
exec $venv/bin/python bench/peers/peers.py --write
