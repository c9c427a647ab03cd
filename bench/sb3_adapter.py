"""Stable-Baselines3 on Ratchet's vector environment (ratchet.sb3) against SB3 on Gymnasium's own
task, run alone on the machine, with the test environment's packages (scripts/setup.sh):
  PYTHONPATH=build/release/python .venv-test/bin/python bench/sb3_adapter.py [--quick]
1. Stepping through SB3's VecEnv API (random actions, n_envs = 1 and 8): ratchet.sb3.make_vec_env
   against SB3's make_vec_env over gymnasium.make (DummyVecEnv, each copy in SB3's Monitor).
2. SB3's PPO with the PPO paper's MuJoCo setting (2048 x 1 steps, 10 epochs of 64, 64x64 tanh), one
   torch thread, 10,240 steps: wall time with each environment.
HalfCheetah-v4 in both; Gymnasium's runs on the mujoco package's MuJoCo, Ratchet's on the build's
(Debian's 2.2.2 unless built with RATCHET_MUJOCO=python). Runs alternate (A B A B ...) so that
drift cancels; medians of the repeats are printed as a Markdown table."""
import statistics
import sys
import time
import warnings

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env as sb3_make_vec_env
from stable_baselines3.common.vec_env import DummyVecEnv

import gymnasium as gym
import ratchet
from ratchet.sb3 import make_vec_env

ID = "HalfCheetah-v4"
QUICK = "--quick" in sys.argv
REPEATS = 1 if QUICK else 3
warnings.simplefilter("ignore")  # "HalfCheetah-v4 is out of date"


def theirs(n):
    return sb3_make_vec_env(lambda: gym.make(ID), n_envs=n, seed=0, vec_env_cls=DummyVecEnv)


def ours(n):
    return make_vec_env(ID, n, seed=0)


def stepping(make, n, steps):
    env = make(n)
    env.reset()
    actions = np.random.default_rng(0).uniform(-1, 1, (steps, n, 6)).astype(np.float32)
    t = time.perf_counter()
    for a in actions:
        env.step(a)
    return n * steps / (time.perf_counter() - t)


def ppo(make, steps):
    torch.set_num_threads(1)
    model = PPO("MlpPolicy", make(1), n_steps=2048, batch_size=64, n_epochs=10, learning_rate=3e-4,
                policy_kwargs={"net_arch": [64, 64]}, seed=0, device="cpu")
    t = time.perf_counter()
    model.learn(steps)
    return steps / (time.perf_counter() - t)


def alternate(f, *args):
    a, b = [], []
    for _ in range(REPEATS):
        a.append(f(ours, *args))
        b.append(f(theirs, *args))
    return statistics.median(a), statistics.median(b)


rows = []
for n in (1, 8):
    steps = 2000 if QUICK else 20000 // n
    r, g = alternate(stepping, n, steps)
    rows.append((f"VecEnv stepping, n_envs = {n} (env steps/s)", r, g))
r, g = alternate(ppo, 2048 if QUICK else 10240)
rows.append(("SB3 PPO learn(), 1 torch thread (env steps/s)", r, g))

print(f"| {ID}, {'quick' if QUICK else f'median of {REPEATS}'} | ratchet.sb3 | SB3 + Gymnasium | ratio |")
print("|---|---|---|---|")
for what, r, g in rows:
    print(f"| {what} | {r:,.0f} | {g:,.0f} | {r / g:.1f}x |")
