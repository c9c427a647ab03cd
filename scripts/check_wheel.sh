#!/usr/bin/env bash
# The Python package as a user installs it: builds a wheel of this tree (`pip wheel .`, build
# isolation, once per state of the sources: kept in BUILD/wheel and reused), installs it into a
# clean virtual environment with no compiler involved, and uses it there: the `ratchet` command,
# training a Python environment of the user's own, and `ratchet eval` / `sweep` on it; then, since
# the wheel runs the mujoco package's MuJoCo as Gymnasium does, the alignment tests against
# Gymnasium (python/tests/test_alignment.py), MuJoCo tasks included.
# Usage: scripts/check_wheel.sh BUILD_DIR (ctest runs it as the test python_wheel).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: check_wheel.sh BUILD_DIR}" && pwd)
python=/usr/bin/python3  # Debian's; the package supports any CPython >= 3.9
store="$build/wheel"
mkdir -p "$store"

# the wheel, built again only when a tracked file changed
stamp=$(cd "$root" && git ls-files -z | xargs -0 sha256sum 2>/dev/null | sha256sum | cut -c1-16)
wheel=$(ls "$store"/dist/ratchet-*.whl 2>/dev/null | head -n1 || true)
if [ -z "$wheel" ] || [ "$(cat "$store/stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "check_wheel: building the wheel (pip wheel .)"
  rm -rf "$store/dist" "$store/builder"
  "$python" -m venv "$store/builder"
  # the build directory is kept, so a wheel of a changed tree compiles only what changed
  CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) "$store/builder/bin/pip" wheel -q --disable-pip-version-check --no-deps \
    --config-settings=build-dir="$store/build" -w "$store/dist" "$root"
  echo "$stamp" > "$store/stamp"
  wheel=$(ls "$store"/dist/ratchet-*.whl)
fi
echo "check_wheel: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"

# a clean environment: no system packages, no compiler needed
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check "$wheel" $(grep -E '^numpy==' "$root/python/requirements-test.txt")
export PATH="$work/venv/bin:$PATH"
unset PYTHONPATH RATCHET_PYTHON_ENVS
cd "$work"
ratchet --version | grep -q "^ratchet 0.1.0"
cat > parking.py <<'PY'
import numpy as np
from ratchet import spaces


class Parking:
    """A car on a line that must stop at the origin (a user's own environment)."""
    def __init__(self):
        self.observation_space = spaces.Box(np.array([-10, -5], np.float32), np.array([10, 5], np.float32))
        self.action_space = spaces.Box(np.array([-1], np.float32), np.array([1], np.float32))
        self.rng = np.random.default_rng()

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.x, self.v, self.t = self.rng.uniform(-5, 5), 0.0, 0
        return np.array([self.x, self.v], np.float32), {}

    def step(self, action):
        self.v = float(np.clip(self.v + 0.1 * float(np.clip(action[0], -1, 1)), -5, 5))
        self.x = float(np.clip(self.x + 0.1 * self.v, -10, 10))
        self.t += 1
        obs = np.array([self.x, self.v], np.float32)
        return obs, -abs(self.x) - 0.1 * abs(self.v), False, self.t >= 100, {}
PY
python - <<'PY'
import ratchet
from parking import Parking
model = ratchet.PPO(Parking, seed=1, run_dir="run", n_envs=2, n_steps=64, batch_size=64, eval_episodes=2)
model.learn(512)
print("check_wheel: trained", model.num_timesteps, "steps; mean return", round(model.evaluate(2)[0], 2))
PY
PYTHONPATH="$work" ratchet eval run --episodes 2 | grep -q "deterministic return"
PYTHONPATH="$work" ratchet sweep --algo ppo --env parking:Parking --seeds 1-2 --steps 256 --jobs 1 --out sweep \
  --set n_envs=2 --set n_steps=64 --set batch_size=64 --set eval_episodes=1 > sweep.log
[ "$(ls -d sweep/ppo-Parking-py*/model.bin | wc -l)" = 2 ] || { cat sweep.log; exit 1; }
echo "check_wheel: the installed package trains, evaluates and sweeps a Python environment"

# the package's MuJoCo is the mujoco package's, Gymnasium's too: the MuJoCo tasks are compared with
# Gymnasium's step for step (and the classic ones again), with the test packages' pinned versions
pip install -q --disable-pip-version-check $(grep -E '^(gymnasium|imageio)==' "$root/python/requirements-test.txt") \
  "pytest==$(/usr/bin/python3 -c 'import pytest; print(pytest.__version__)')"
python -m pytest -q -p no:cacheprovider "$root/python/tests/test_alignment.py" -rs | tee alignment.log
! grep -q "SKIPPED" alignment.log || { echo "check_wheel: the alignment tests were skipped"; exit 1; }
