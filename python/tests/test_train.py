"""Training from Python: the algorithms, their keys, run directories shared with the CLI, and
environments written in Python."""
import csv
import math
import os
import re

import numpy as np
import pytest

import ratchet
from conftest import PointMass


def _rows(path):
    with open(os.path.join(path, "progress.csv")) as f:
        rows = list(csv.reader(f))
    return [r[:2] + r[3:] for r in rows]  # without wall_time


def test_ppo_solves_cartpole_and_matches_the_cli(tmp_path, cli):
    model = ratchet.PPO("CartPole-v1", seed=1, run_dir=tmp_path / "py")
    model.learn(100_000)
    mean, std = model.evaluate(20)
    assert mean >= 475, mean
    # the same run from the CLI: the same learning curve, wall time excepted
    code, out, err = cli("train", "--algo", "ppo", "--env", "CartPole-v1", "--seed", 1, "--steps", 100_000,
                         "--quiet", "--run-dir", tmp_path / "cli")
    assert code == 0, err
    assert _rows(tmp_path / "py") == _rows(tmp_path / "cli")
    # saved from Python, evaluated by the CLI: the same numbers
    model.save(tmp_path / "saved")
    code, out, err = cli("eval", tmp_path / "saved", "--episodes", 10, "--deterministic")
    assert code == 0, err
    cli_mean = float(re.search(r"deterministic\s+return (\S+)", out).group(1))
    assert cli_mean == pytest.approx(model.evaluate(10)[0], abs=0.005)


def test_cli_run_loads_and_predicts_as_the_exported_policy(tmp_path, cli):
    run = tmp_path / "run"
    code, _, err = cli("train", "--algo", "a2c", "--env", "Pendulum-v1", "--steps", 4000, "--quiet",
                       "--set", "normalize_obs=true", "--run-dir", run)
    assert code == 0, err
    model = ratchet.load(run)
    assert isinstance(model, ratchet.A2C) and model.env_id == "Pendulum-v1"
    obs = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    batch, _ = model.predict(obs)
    assert batch.shape == (50, 1)
    one, _ = model.predict(obs[7])
    assert np.array_equal(one, batch[7])
    model.export(tmp_path / "p.rpol")
    deployed = ratchet.DeployedPolicy(tmp_path / "p.rpol")
    assert np.array_equal(deployed.act(obs), batch)  # bit for bit
    assert np.all(np.abs(batch) <= 2.0)  # clipped to the action bounds


@pytest.mark.parametrize("cls", [ratchet.VPG, ratchet.A2C, ratchet.NPG, ratchet.TRPO, ratchet.PPO, ratchet.PPOKL,
                                 ratchet.ACKTR])
def test_every_algorithm_trains_briefly(cls, tmp_path):
    model = cls("CartPole-v1", seed=2, run_dir=tmp_path / cls.algo, n_envs=2, n_steps=128, eval_episodes=1)
    model.learn(512)
    action, state = model.predict(np.zeros(4, np.float32))
    assert action in (0, 1) and state is None


def test_keys_are_checked_with_their_names():
    with pytest.raises(ratchet.RatchetError, match="unknown config key 'learning_rat'"):
        ratchet.PPO("CartPole-v1", learning_rat=1e-3)
    with pytest.raises(ratchet.RatchetError, match="n_epochs must be at least 1"):
        ratchet.PPO("CartPole-v1", n_epochs=0)
    with pytest.raises(ratchet.RatchetError, match="config key 'gamma': expected a number"):
        ratchet.PPO("CartPole-v1", gamma="high")


def test_callback_sees_every_update_and_can_stop(tmp_path):
    seen = []

    def callback(stats):
        seen.append(stats)
        return len(seen) < 3

    model = ratchet.PPO("CartPole-v1", seed=1, run_dir=tmp_path / "run", n_envs=2, n_steps=128, batch_size=64)
    model.learn(4096, callback=callback)
    assert len(seen) == 3 and seen[-1]["update"] == 3 and seen[-1]["steps"] == 768
    assert "policy_loss" in seen[0] and "ep_return_mean" in seen[0]
    model.learn(4096 - 768, reset_num_timesteps=False)  # continues from the checkpoint to 4096 steps
    assert model.num_timesteps == 4096
    assert model.evaluate(2)[0] > 0


def test_an_exception_in_the_callback_propagates(tmp_path):
    def boom(stats):
        raise ZeroDivisionError("from the callback")

    model = ratchet.PPO("CartPole-v1", run_dir=tmp_path / "run", n_envs=2, n_steps=64, batch_size=64)
    with pytest.raises(ZeroDivisionError, match="from the callback"):
        model.learn(1024, callback=boom)


def test_a_python_env_trains_with_ppo(tmp_path):
    model = ratchet.PPO(PointMass, seed=1, run_dir=tmp_path / "run", n_envs=8, n_steps=128, batch_size=256,
                        n_epochs=10, learning_rate=1e-3, eval_episodes=10)
    model.learn(80_000)
    mean, _ = model.evaluate(10)
    assert mean > -25, mean  # an untrained policy scores below -60
    assert model.env_id in ratchet.list_envs()


class _Broken(PointMass):
    def __init__(self, fault):
        super().__init__()
        self.fault = fault

    def step(self, action):
        obs, reward, term, trunc, info = super().step(action)
        if self.fault == "shape":
            obs = obs[:3]
        elif self.fault == "reward":
            reward = "lots"
        elif self.fault == "raise":
            raise KeyError("inside step")
        return obs, reward, term, trunc, info


@pytest.mark.parametrize("fault,error,match", [("shape", ratchet.RatchetError, "observation of 3 values"),
                                               ("reward", ratchet.RatchetError, "reward of type"),
                                               ("raise", KeyError, "inside step")])
def test_python_env_faults_raise_clear_exceptions(fault, error, match, tmp_path):
    ratchet.register(f"Broken-{fault}-v0", lambda: _Broken(fault), max_episode_steps=50)
    model = ratchet.PPO(f"Broken-{fault}-v0", run_dir=tmp_path / "run", n_envs=2, n_steps=32, batch_size=64)
    with pytest.raises(error, match=match):
        model.learn(256)
    assert not (tmp_path / "run" / "model.bin").exists()


def test_deployed_policy_errors():
    with pytest.raises(ratchet.RatchetError, match="cannot read policy file"):
        ratchet.DeployedPolicy("/nonexistent.rpol")


def test_ctrl_c_writes_a_checkpoint_and_training_continues(tmp_path):
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(f"""
        import ratchet, sys
        model = ratchet.PPO("Pendulum-v1", seed=4, run_dir={str(tmp_path / 'run')!r}, n_envs=2, n_steps=256,
                            batch_size=64, checkpoint_every=1000)
        def callback(stats):
            if stats["update"] == 1:
                print("started", flush=True)
        try:
            model.learn(2_000_000, callback=callback)
        except KeyboardInterrupt:
            stopped = model.num_timesteps
            print("interrupted at", stopped, flush=True)
            action, _ = model.predict([1.0, 0.0, 0.0])  # usable at once
            model.learn(512, reset_num_timesteps=False)  # and learn continues: 512 more steps
            print("continued", stopped, model.num_timesteps, flush=True)
            sys.exit(130)
    """))
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "started"
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 130, out
    assert "interrupted at" in out
    stopped, continued = map(int, out.split("continued")[1].split())
    assert stopped > 0 and continued == stopped + 512, out
    checkpoints = list((tmp_path / "run" / "checkpoints").glob("ckpt-*.bin"))
    assert checkpoints, "no checkpoint written on Ctrl-C"


def test_env_kwargs_shape_training_evaluation_and_the_saved_run(tmp_path):
    run = tmp_path / "hopper"
    kwargs = {"ctrl_cost_weight": 0.01, "healthy_z_range": (0.6, float("inf")), "frame_skip": 2}
    model = ratchet.PPO("Hopper-v5", n_envs=2, n_steps=128, env_kwargs=kwargs, run_dir=run)
    model.learn(256)
    assert "env_kwargs: {ctrl_cost_weight: 0.01, frame_skip: 2, healthy_z_range: [0.6, inf]}" in model.config
    # the loaded run evaluates on the environment it was trained on: equal to an evaluation by hand
    loaded = ratchet.load(run)
    mean, _ = loaded.evaluate(1, seed=7)
    env = ratchet.make("Hopper-v5", **kwargs)
    obs, _ = env.reset(seed=7)
    total, done = 0.0, False
    while not done:
        obs, r, terminated, truncated, _ = env.step(loaded.predict(obs, deterministic=True)[0])
        total, done = total + r, terminated or truncated
    assert mean == pytest.approx(total, rel=1e-9)
    assert mean != pytest.approx(ratchet.load(run).evaluate(1, seed=8)[0], rel=1e-9)  # the check can fail
    with pytest.raises(ratchet.RatchetError, match="unknown keyword argument 'bogus'"):
        ratchet.PPO("Hopper-v5", env_kwargs={"bogus": 1})


def test_sweep_tune_and_read_runs_from_python(tmp_path, capfd):
    # a Python environment this process registered, which the sweep's runs never make (and could
    # not: conftest is not importable in them), is no obstacle
    ratchet.register("Unrelated-py", PointMass, max_episode_steps=50)
    # a grid as `ratchet sweep` runs it, from Python; a second call finds it finished
    runs = ratchet.sweep("ppo", ["CartPole-v1"], seeds=[0, 1], steps=2048, out=tmp_path / "grid", jobs=2,
                         n_steps=64, eval_episodes=2)
    assert sorted(r["seed"] for r in runs) == [0, 1]
    for r in runs:
        assert r["algo"] == "ppo" and r["env"] == "CartPole-v1" and r["finished"] and r["steps"] == 2048
        assert r["final_return"] == r["eval_return"] and r["stochastic_eval_return"] is not None
        assert r["best_eval_return"] is not None and r["settings"]["n_steps"] == "64"
    assert "2 new" in capfd.readouterr().out
    again = ratchet.sweep("ppo", "CartPole-v1", seeds="0-1", steps=2048, out=tmp_path / "grid", n_steps=64,
                          eval_episodes=2)
    assert [r["final_return"] for r in again] == [r["final_return"] for r in runs]
    assert "2 finished (skipped)" in capfd.readouterr().out
    assert ratchet.read_runs(tmp_path / "grid")[0]["dir"].startswith(str(tmp_path))
    # the command's own Ctrl-C handler is gone again: Ctrl-C is Python's KeyboardInterrupt
    import signal
    import time
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)
    # a search as `ratchet tune` runs it
    session = ratchet.tune("ppo", "CartPole-v1", trials=2, steps=2048, out=tmp_path / "tune", seeds="0", jobs=1,
                           sampler="random", n_steps=64)
    assert len(session["trials"]) == 2 and "\nCartPole-v1:\n" in session["best"]
    # bad input is one RatchetError, naming the problem
    with pytest.raises(ratchet.RatchetError, match="exit code 2"):
        ratchet.sweep("nope", "CartPole-v1", seeds=[0], steps=2048, out=tmp_path / "bad")
    assert "unknown algorithm 'nope'" in capfd.readouterr().err
