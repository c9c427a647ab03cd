"""Python-side speed (issue 12), run alone on the machine:
  PYTHONPATH=build/release/python python3 bench/python_bench.py
1. make_vec stepping from Python against the same VectorEnv stepped by a C++ loop (the same
   actions, N = 8, 1 thread), per step; CartPole-v1 and HalfCheetah-v4.
2. PPO (CartPole-v1's preset) for 100k steps on a pure-Python CartPole against the C++ one."""
import os
import statistics
import sys
import tempfile
import time

import numpy as np

import ratchet
from ratchet import _ratchet

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python", "tests"))
from cartpole import PyCartPole  # noqa: E402


def python_loop(id, n, steps, actions):
    venv = ratchet.make_vec(id, n, threads=1)
    venv.reset(seed=1)
    t = time.perf_counter()
    for k in range(steps):
        venv.step(actions[k])
    return (time.perf_counter() - t) / steps


def stepping(id, n=8, steps=20000, repeats=5):
    spec = _ratchet.env_spec(id)
    rng = np.random.default_rng(0)
    if spec["action_space"]["discrete"]:
        actions = rng.integers(0, spec["action_space"]["n"], size=(steps, n, 1)).astype(np.float32)
    else:
        actions = rng.uniform(-1, 1, size=(steps, n, len(spec["action_space"]["low"]))).astype(np.float32)
    py = statistics.median(python_loop(id, n, steps, actions) for _ in range(repeats))
    cc = statistics.median(_ratchet._time_vector_env(id, n, 1, actions.reshape(steps, -1)) / steps
                           for _ in range(repeats))
    print(f"{id:<16} N={n}: Python {py * 1e6:8.2f} us/step, C++ {cc * 1e6:8.2f} us/step, "
          f"overhead {py - cc:+.2e} s/step ({(py / cc - 1) * 100:+.1f}%)")


PRESET = dict(n_envs=8, n_steps=32, batch_size=256, n_epochs=20, gamma=0.98, gae_lambda=0.8,
              learning_rate="lin_0.001", clip_range="lin_0.2", ent_coef=0.0)


def ppo(env, seed):
    with tempfile.TemporaryDirectory() as d:
        model = ratchet.PPO(env, seed=seed, run_dir=os.path.join(d, "run"), eval_episodes=20, **PRESET)
        t = time.perf_counter()
        model.learn(100_000)
        wall = time.perf_counter() - t
        return wall, model.evaluate(20)[0]


if __name__ == "__main__":
    stepping("CartPole-v1", steps=50000)
    stepping("HalfCheetah-v4", steps=5000)
    ratchet.register("PyCartPole-v1", PyCartPole, max_episode_steps=500, reward_threshold=475.0)
    for env in ["CartPole-v1", "PyCartPole-v1"]:
        runs = [ppo(env, s) for s in (1, 2, 3)]
        walls = sorted(w for w, _ in runs)
        print(f"PPO {env:<14} 100k steps: median {walls[1]:.2f} s ({', '.join(f'{w:.2f}' for w, _ in runs)}), "
              f"evaluation {', '.join(f'{e:.1f}' for _, e in runs)}")
