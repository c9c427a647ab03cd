import os
import subprocess

import numpy as np
import pytest


@pytest.fixture
def cli():
    """Runs the `ratchet` command built with this package; returns (exit code, stdout, stderr)."""
    exe = os.environ.get("RATCHET_CLI")
    if not exe:
        pytest.skip("RATCHET_CLI is not set (run through ctest)")

    def run(*args):
        p = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    return run


class PointMass:
    """A 2-D point mass reaching a random target, in pure Python with Gymnasium's Env API (the
    dynamics of examples/custom_env/point_mass.h)."""

    def __init__(self):
        from ratchet import spaces
        self.observation_space = spaces.Box(np.array([-2, -2, -2, -2, -4, -4], np.float32),
                                            np.array([2, 2, 2, 2, 4, 4], np.float32))
        self.action_space = spaces.Box(np.array([-1, -1], np.float32), np.array([1, 1], np.float32))
        self.rng = np.random.default_rng()
        self.t = 0

    def _obs(self):
        return np.concatenate([self.pos, self.vel, self.target - self.pos]).astype(np.float32)

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.pos = self.rng.uniform(-1, 1, 2)
        self.target = self.rng.uniform(-1, 1, 2)
        self.vel = np.zeros(2)
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        f = np.clip(np.asarray(action, dtype=np.float64), -1, 1)
        self.vel = np.clip(0.9 * self.vel + 0.2 * f, -2, 2)
        self.pos = np.clip(self.pos + 0.1 * self.vel, -2, 2)
        self.t += 1
        reward = -float(np.linalg.norm(self.target - self.pos)) - 0.01 * float(f @ f)
        return self._obs(), reward, False, self.t >= 100, {}
