"""Ratchet against its peers, side by side on this machine (bench/peers/run.sh builds the virtual
environment and calls this). Every comparison alternates A, B, A, B ... so that drift cancels, on
the same cores (pinned), and prints Markdown; --write puts the tables into docs/BENCHMARKS.md
between the "Ratchet vs peers" markers.

  python bench/peers/peers.py [--quick] [--write] [--only ppo,vec,algos,halfcheetah]

1. PPO CartPole-v1, RL Zoo's setting, 100k steps, one thread: wall time and the final
   deterministic evaluation (20 episodes), Ratchet vs Stable-Baselines3 (and rlox when installed).
2. A2C and TRPO on CartPole-v1 where the peer has them (SB3's A2C, sb3-contrib's TRPO), 100k steps.
3. Vector-environment stepping, CartPole-v1 and HalfCheetah-v4, N = 1 ... 4096 copies, 1 and 2
   threads, steps/s: ratchet.make_vec from Python, Ratchet's C++ VectorEnv (a C++ loop), EnvPool
   (sync), Gymnasium's SyncVectorEnv and AsyncVectorEnv (N <= 64), SB3 through ratchet.sb3.
4. (full runs only) PPO HalfCheetah-v4 in the PPO paper's setting, 1M steps, one thread: Ratchet
   3 seeds, SB3 once.
--quick shrinks every budget so that the whole runs in under two minutes (a smoke test: its
numbers mean nothing)."""
import argparse
import datetime
import gc
import importlib
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

import ratchet
from ratchet import _ratchet

warnings.simplefilter("ignore")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def optional(name):
    try:
        return importlib.import_module(name)
    except Exception:  # not installed, or installed without what it needs
        return None


torch = optional("torch")
sb3 = optional("stable_baselines3")
sb3_contrib = optional("sb3_contrib")
envpool = optional("envpool")
gym = optional("gymnasium")
rlox = optional("rlox")


def pin(cores):
    """Runs this process (and the threads it starts) on `cores`."""
    try:
        os.sched_setaffinity(0, set(cores))
    except (AttributeError, OSError):
        pass


def alternate(runs, repeats):
    """runs: {name: f}; calls each once per round, round after round; the results by name. What a
    call built is collected before the next one starts (thousands of MuJoCo copies per library
    would not fit in memory together)."""
    out = {name: [] for name in runs}
    for _ in range(repeats):
        for name, f in runs.items():
            out[name].append(f())
            gc.collect()
    return out


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# ---------------------------------------------------------------- 1, 2: learning, side by side

ZOO_PPO = dict(n_envs=8, n_steps=32, batch_size=256, n_epochs=20, gamma=0.98, gae_lambda=0.8,
               learning_rate=1e-3, clip_range=0.2, ent_coef=0.0)


def lin(v):
    return lambda progress: progress * v


def ratchet_learn(algo, env, steps, seed, **sets):
    with tempfile.TemporaryDirectory() as d:
        model = getattr(ratchet, algo)(env, seed=seed, run_dir=os.path.join(d, "run"), threads=1, **sets)
        t = time.perf_counter()
        model.learn(steps)
        wall = time.perf_counter() - t
        return wall, model.evaluate(20)[0]


def sb3_learn(cls, env, steps, seed, n_envs, **kw):
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.evaluation import evaluate_policy
    torch.set_num_threads(1)
    venv = make_vec_env(env, n_envs=n_envs, seed=seed)
    model = cls("MlpPolicy", venv, seed=seed, device="cpu", **kw)
    t = time.perf_counter()
    model.learn(steps)
    wall = time.perf_counter() - t
    mean, _ = evaluate_policy(model, make_vec_env(env, n_envs=1, seed=seed + 1000), n_eval_episodes=20,
                              deterministic=True)
    return wall, mean


def rlox_learn(env, steps, seed):
    torch.set_num_threads(1)
    trainer = rlox.Trainer("ppo", env, config=dict(n_envs=8, n_steps=32, n_epochs=20, batch_size=256,
                                                  learning_rate=1e-3, clip_eps=0.2, ent_coef=0.0, gamma=0.98,
                                                  gae_lambda=0.8, anneal_lr=True), seed=seed)
    t = time.perf_counter()
    trainer.train(steps)
    wall = time.perf_counter() - t
    # its own evaluate() hands CartPole a tensor: evaluated here, deterministic, 20 episodes
    env, returns = gym.make(env), []
    for k in range(20):
        obs, _ = env.reset(seed=seed + 1000 + k)
        total, done = 0.0, False
        while not done:
            a = np.asarray(trainer.predict(obs, deterministic=True)).reshape(-1)
            obs, r, terminated, truncated, _ = env.step(int(a[0]))
            total, done = total + r, terminated or truncated
        returns.append(total)
    return wall, float(np.mean(returns))


def learning_rows(quick, algos):
    steps = 4096 if quick else 100_000
    repeats = 1 if quick else 3
    rows = []
    cases = [("PPO", "rl-zoo",
              lambda s: ratchet_learn("PPO", "CartPole-v1", steps, s),
              (lambda s: sb3_learn(sb3.PPO, "CartPole-v1", steps, s, ZOO_PPO["n_envs"], n_steps=32, batch_size=256,
                                   n_epochs=20, gamma=0.98, gae_lambda=0.8, learning_rate=lin(1e-3),
                                   clip_range=lin(0.2), ent_coef=0.0)) if sb3 else None)]
    if rlox is not None and torch is not None:
        cases.append(("PPO", "rl-zoo, against rlox", lambda s: ratchet_learn("PPO", "CartPole-v1", steps, s),
                      lambda s: rlox_learn("CartPole-v1", steps, s)))
    if sb3 and algos:
        cases.append(("A2C", "SB3 defaults, 8 copies",
                      lambda s: ratchet_learn("A2C", "CartPole-v1", steps, s, n_envs=8, n_steps=5),
                      lambda s: sb3_learn(sb3.A2C, "CartPole-v1", steps, s, 8)))
    if sb3_contrib and algos:
        cases.append(("TRPO", "sb3-contrib defaults, 1 copy of 2048",
                      lambda s: ratchet_learn("TRPO", "CartPole-v1", steps, s, n_envs=1, n_steps=2048),
                      lambda s: sb3_learn(sb3_contrib.TRPO, "CartPole-v1", steps, s, 1)))
    for algo, setting, ours, theirs in cases:
        res = {"ratchet": [], "peer": []}

        def runner(name, f):
            def run():
                res[name].append(f(len(res[name]) + 1))  # seeds 1, 2, 3 on both sides
            return run
        runs = {"ratchet": runner("ratchet", ours)}
        if theirs:
            runs["peer"] = runner("peer", theirs)
        alternate(runs, repeats)
        wr, er = median([w for w, _ in res["ratchet"]]), median([e for _, e in res["ratchet"]])
        if theirs:
            wp, ep = median([w for w, _ in res["peer"]]), median([e for _, e in res["peer"]])
            peer = f"{wp:.2f} s, return {ep:.0f} | {wp / wr:.1f}x"
        else:
            peer = "- | -"
        rows.append(f"| {algo} CartPole-v1, {steps:,} steps ({setting}) | {wr:.2f} s, return {er:.0f} | {peer} |")
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def halfcheetah_rows():
    steps = 1_000_000
    paper = dict(net_arch=[64, 64], activation="tanh", log_std_init=0.0, n_envs=1, n_steps=2048, batch_size=64,
                 n_epochs=10, gamma=0.99, gae_lambda=0.95, learning_rate=3e-4, ent_coef=0.0, clip_range=0.2,
                 max_grad_norm=0.5, vf_coef=0.5)
    ours = [ratchet_learn("PPO", "HalfCheetah-v4", steps, s, **paper) for s in (1, 2, 3)]
    row = f"| PPO HalfCheetah-v4, 1M steps (PPO paper setting) | {median([w for w, _ in ours]):.0f} s, " \
          f"return {median([e for _, e in ours]):.0f} (median of 3 seeds) |"
    if sb3:
        w, e = sb3_learn(sb3.PPO, "HalfCheetah-v4", steps, 1, 1, n_steps=2048, batch_size=64, n_epochs=10,
                         learning_rate=3e-4, policy_kwargs=dict(net_arch=[64, 64]))
        row += f" {w:.0f} s, return {e:.0f} (one run) | {w / median([w for w, _ in ours]):.1f}x |"
    else:
        row += " - | - |"
    return [row]


# ---------------------------------------------------------------- 3: stepping

def actions_for(env_id, n, steps, rng):
    spec = _ratchet.env_spec(env_id)
    if spec["action_space"]["discrete"]:
        return rng.integers(0, spec["action_space"]["n"], size=(steps, n)).astype(np.int64)
    return rng.uniform(-1, 1, size=(steps, n, len(spec["action_space"]["low"]))).astype(np.float32)


def rate(venv, actions):
    """Steps per second of venv.step over the actions; closes venv."""
    t = time.perf_counter()
    for a in actions:
        venv.step(a)
    r = actions.shape[0] * actions.shape[1] / (time.perf_counter() - t)
    if hasattr(venv, "close"):
        venv.close()
    return r


def stepping(env_id, n, threads, steps, repeats):
    rng = np.random.default_rng(0)
    actions = actions_for(env_id, n, steps, rng)
    runs = {}

    def ours():
        venv = ratchet.make_vec(env_id, n, threads=threads, autoreset_mode="same_step", copy=False)
        venv.reset(seed=0)
        return rate(venv, actions)
    runs["ratchet.make_vec"] = ours

    def cxx():
        flat = actions.reshape(steps, -1).astype(np.float32)
        return steps * n / _ratchet._time_vector_env(env_id, n, threads, flat)
    runs["Ratchet C++ VectorEnv"] = cxx
    if sb3 is not None:
        def adapter():
            from ratchet.sb3 import make_vec_env
            venv = make_vec_env(env_id, n, seed=0, threads=threads)
            venv.reset()
            return rate(venv, actions)
        runs["SB3 via ratchet.sb3"] = adapter
    if envpool is not None:
        def pool():
            venv = envpool.make_gymnasium(env_id, num_envs=n, num_threads=threads, seed=0)
            venv.reset()
            return rate(venv, actions)
        runs["EnvPool (sync)"] = pool
    if gym is not None and n <= 512:
        def sync():
            venv = gym.make_vec(env_id, n, vectorization_mode="sync")
            venv.reset(seed=0)
            return rate(venv, actions)
        runs["Gymnasium SyncVectorEnv"] = sync
    if gym is not None and n <= 64 and threads > 1:
        def asyn():
            venv = gym.make_vec(env_id, n, vectorization_mode="async",
                                vector_kwargs={"shared_memory": True})
            venv.reset(seed=0)
            return rate(venv, actions)
        runs["Gymnasium AsyncVectorEnv"] = asyn
    return {name: median(v) for name, v in alternate(runs, repeats).items()}


OURS = ["ratchet.make_vec", "Ratchet C++ VectorEnv", "SB3 via ratchet.sb3"]
PEERS = ["EnvPool (sync)", "Gymnasium SyncVectorEnv", "Gymnasium AsyncVectorEnv"]


# A HalfCheetah copy holds MuJoCo's model and data: about 3.4 MB in Ratchet (bench/many_envs.py),
# more in EnvPool; a size runs only when twice that fits in the memory available.
MUJOCO_COPY_BYTES = 8 << 20


def available_memory():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def stepping_rows(quick):
    rows = []
    sizes = (1, 8, 64) if quick else (1, 8, 64, 512, 4096)
    header = [k for k in OURS + PEERS if (k != "SB3 via ratchet.sb3" or sb3) and (k != "EnvPool (sync)" or envpool)
              and (not k.startswith("Gymnasium") or gym)]
    rows.append("| env | threads | N | " + " | ".join(header) + " | make_vec / best peer |")
    rows.append("|---" * (len(header) + 4) + "|")
    for env_id in ("CartPole-v1", "HalfCheetah-v4"):
        for threads in (1, 2):
            for n in sizes:
                if env_id.startswith("HalfCheetah") and n * MUJOCO_COPY_BYTES > available_memory():
                    rows.append(f"| {env_id} | {threads} | {n} | " + " | ".join("-" for _ in header) +
                                f" | not run: {n} copies at up to {MUJOCO_COPY_BYTES >> 20} MB each exceed the available memory |")
                    continue
                total = 2_000 if quick else (200_000 if env_id == "CartPole-v1" else 40_000)
                steps = max(2, total // n)
                res = stepping(env_id, n, threads, steps, 1 if quick else 3)
                peers = [v for k, v in res.items() if k in PEERS]
                ratio = res["ratchet.make_vec"] / max(peers) if peers else float("nan")
                rows.append(f"| {env_id} | {threads} | {n} | " +
                            " | ".join(f"{res[k]:,.0f}" if k in res else "-" for k in header) + f" | {ratio:.2f}x |")
                print(rows[-1], file=sys.stderr, flush=True)
    return rows


# ---------------------------------------------------------------- the report

def versions():
    out = [f"Ratchet {ratchet.__version__ if hasattr(ratchet, '__version__') else '0.1.0'}",
           f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    for name, mod in (("Gymnasium", gym), ("Stable-Baselines3", sb3), ("sb3-contrib", sb3_contrib),
                      ("PyTorch", torch), ("EnvPool", envpool), ("rlox", rlox)):
        out.append(f"{name} {getattr(mod, '__version__', '?')}" if mod else f"{name}: not installed")
    return ", ".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--only", default="ppo,vec" if "--quick" in sys.argv else "ppo,algos,vec,halfcheetah")
    args = ap.parse_args()
    parts = set(args.only.split(","))
    pin([0])  # one core for the learners; stepping pins per thread count
    text = [f"Measured {datetime.date.today()} on {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores; {versions()}.", "",
            f"Command: `bash bench/peers/run.sh{' --quick' if args.quick else ''}`.", ""]
    if "ppo" in parts or "algos" in parts:
        text += ["| learner, one core | Ratchet | peer (SB3, sb3-contrib or rlox, as the row says) | peer time / Ratchet time |",
                 "|---|---|---|---|"]
        rows = learning_rows(args.quick, "algos" in parts)
        text += rows
        if "halfcheetah" in parts and not args.quick:
            text += halfcheetah_rows()
        text.append("")
    if "vec" in parts:
        pin([0, 1] if (os.cpu_count() or 1) > 1 else [0])
        text += [f"Environment steps per second (random actions; {'one run each' if args.quick else 'medians of 3 alternated runs'}; "
                 "'-': not run, Gymnasium's vector environments only up to 512 copies, its asynchronous one up to 64 and with "
                 "2 threads):", ""]
        text += stepping_rows(args.quick)
        text.append("")
    report = "\n".join(text)
    print(report)
    if args.write:
        path = os.path.join(ROOT, "docs", "BENCHMARKS.md")
        doc = open(path).read()
        begin, end = "<!-- peers:begin -->", "<!-- peers:end -->"
        block = f"{begin}\n{report}\n{end}"
        if begin in doc:
            doc = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda m: block, doc, flags=re.S)
        else:
            doc = doc.replace("\n## ", f"\n## Ratchet vs peers (issue 28)\n\n{block}\n\n## ", 1)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(doc)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


if __name__ == "__main__":
    main()
