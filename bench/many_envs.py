#!/usr/bin/env python3
"""Training with thousands of environment copies: PPO throughput and memory against N.

Each row is one `ratchet train` process (the release build's CLI), so that its peak resident
memory is its own: N copies of CartPole-v1 or HalfCheetah-v4, a short rollout per copy, large
minibatches, a few updates. Bytes per copy are the slope of peak memory between the smallest and
the largest N (the fixed part, networks and code, cancels).

    python3 bench/many_envs.py [--threads 1,2] [--sizes 1024,2048,4096] [--repeats 3]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.environ.get("RATCHET_CLI", os.path.join(ROOT, "build", "release", "ratchet"))

# per env: rollout steps per copy, updates, minibatch, epochs
SETTINGS = {
    "CartPole-v1": dict(n_steps=16, updates=8, batch_size=8192, n_epochs=4),
    "HalfCheetah-v4": dict(n_steps=16, updates=3, batch_size=8192, n_epochs=4),
}


def command(env, n, threads, work):
    s = SETTINGS[env]
    steps = n * s["n_steps"] * s["updates"]
    shutil.rmtree(os.path.join(work, "run"), ignore_errors=True)
    return [CLI, "train", "--algo", "ppo", "--env", env, "--steps", str(steps), "--quiet", "--run-dir",
            os.path.join(work, "run"), "--set", f"n_envs={n}", "--set", f"n_steps={s['n_steps']}", "--set",
            f"batch_size={min(s['batch_size'], n * s['n_steps'])}", "--set", f"n_epochs={s['n_epochs']}", "--set",
            f"threads={threads}", "--set", "eval_episodes=0", "--set", "checkpoint_every=0", "--set",
            "checkpoint_minutes=0"]


def run(env, n, threads, work):
    """One training: its throughput and where the time went."""
    cmd = command(env, n, threads, work)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"many_envs: {' '.join(cmd)} failed: {proc.stderr.strip()}")
    m = re.search(r"trained (\d+) steps in ([\d.]+) s", proc.stdout)
    t = re.search(r"simulation ([\d.]+) s, rollout policy ([\d.]+) s, updates ([\d.]+) s", proc.stdout)
    return dict(steps=int(m.group(1)), wall=float(m.group(2)), sim=float(t.group(1)), policy=float(t.group(2)),
                update=float(t.group(3)))


def peak_rss_kib(env, n, threads, work):
    """Peak resident memory of one training, from the kernel's accounting of that child."""
    cmd = command(env, n, threads, work)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped here
    if status != 0:
        raise SystemExit(f"many_envs: {' '.join(cmd)} exited with status {status}")
    return usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--sizes", default="1024,2048,4096")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    threads = [int(x) for x in args.threads.split(",")]
    work = tempfile.mkdtemp(prefix="ratchet_many_envs_")
    print(f"Command: `python3 bench/many_envs.py --threads {args.threads} --sizes {args.sizes} "
          f"--repeats {args.repeats}` (medians of {args.repeats}).\n")
    print("| env | threads | N | steps per update | env steps/s (whole training) | simulation s | rollout policy s "
          "| update s | peak memory MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    slopes = {}
    for env in SETTINGS:
        for t in threads:
            mem = {}
            for n in sizes:
                rows = [run(env, n, t, work) for _ in range(args.repeats)]
                med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
                mem[n] = peak_rss_kib(env, n, t, work)
                print(f"| {env} | {t} | {n} | {n * SETTINGS[env]['n_steps']:,} | {med['steps'] / med['wall']:,.0f} "
                      f"| {med['sim']:.2f} | {med['policy']:.2f} | {med['update']:.2f} | {mem[n] / 1024:.0f} |",
                      flush=True)
            if len(sizes) > 1:
                slopes[(env, t)] = (mem[sizes[-1]] - mem[sizes[0]]) * 1024 / (sizes[-1] - sizes[0])
    print()
    for (env, t), b in slopes.items():
        print(f"- {env}, {t} thread(s): {b:,.0f} bytes of peak memory per environment copy "
              f"(rollout of {SETTINGS[env]['n_steps']} steps included)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
