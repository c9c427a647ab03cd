"""A model that never dead-ends (Stable-Baselines3's habits): usable before learn and after any
stop, learn(N) = N more steps, loaded runs never rewritten, inputs checked, SB3's constructor."""
import csv
import gc
import hashlib
import os

import numpy as np
import pytest

import ratchet
from conftest import PointMass


def _small(cls=ratchet.PPO, env="CartPole-v1", **kw):
    settings = dict(seed=3, n_envs=2, n_steps=128, eval_episodes=2)
    if cls in (ratchet.PPO, ratchet.PPOKL):
        settings["batch_size"] = 64
    settings.update(kw)
    return cls(env, **settings)


def _tree_digest(path):
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(path)):
        dirs.sort()
        for f in sorted(files):
            h.update(os.path.relpath(os.path.join(root, f), path).encode())
            with open(os.path.join(root, f), "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def test_a_callback_stop_leaves_a_usable_model(tmp_path):
    model = _small(run_dir=tmp_path / "run")
    model.learn(100_000, callback=lambda stats: stats["update"] < 4)
    assert model.num_timesteps == 4 * 256
    assert model.stop_reason == "the callback returned false"
    mean, _ = model.evaluate(2)
    assert mean > 0
    action, _ = model.predict(np.zeros(4, np.float32))
    assert action in (0, 1)
    model.save(tmp_path / "saved")
    model.export(tmp_path / "p.rpol")
    obs = np.random.default_rng(1).normal(size=(20, 4)).astype(np.float32)
    assert np.array_equal(ratchet.DeployedPolicy(tmp_path / "p.rpol").act(obs), model.predict(obs)[0])
    assert np.array_equal(ratchet.load(tmp_path / "saved").predict(obs)[0], model.predict(obs)[0])


def test_stop_at_return_stops_at_the_evaluation_that_reaches_it(tmp_path):
    # Stable-Baselines3's StopTrainingOnRewardThreshold: the first evaluation (update 4) reaches
    # any return an episode of CartPole always gets
    model = _small(run_dir=tmp_path / "run", eval_every=1024, stop_at_return=1)
    model.learn(100_000)
    assert model.num_timesteps == 4 * 256
    assert model.stop_reason.startswith("stop_at_return: the evaluation after 1024 steps returned ")
    assert model.evaluate(2)[0] > 0
    rows = list(csv.DictReader(open(tmp_path / "run" / "progress.csv")))
    assert len(rows) == 4 and float(rows[-1]["eval_return_mean"]) >= 1


def test_before_learn_the_initial_policy_predicts_evaluates_exports_and_saves(tmp_path):
    model = _small()
    obs = np.random.default_rng(2).normal(size=(16, 4)).astype(np.float32)
    before, _ = model.predict(obs)
    assert before.shape == (16,)
    assert model.evaluate(2)[0] > 0
    model.export(tmp_path / "p.rpol")
    assert np.array_equal(ratchet.DeployedPolicy(tmp_path / "p.rpol").act(obs), before)
    model.save(tmp_path / "untrained")
    loaded = ratchet.load(tmp_path / "untrained")
    assert loaded.num_timesteps == 0
    assert np.array_equal(loaded.predict(obs)[0], before)
    # the initial networks are those training starts from: learning the saved untrained model
    # gives the run a fresh model gives
    loaded.learn(512)
    model.learn(512)
    assert loaded.num_timesteps == model.num_timesteps == 512
    assert np.array_equal(loaded.predict(obs)[0], model.predict(obs)[0])


def test_learn_trains_n_more_steps_each_time(tmp_path):
    model = _small(run_dir=tmp_path / "run")
    model.learn(512)
    assert model.num_timesteps == 512 and model.stop_reason is None
    model.learn(512, reset_num_timesteps=False)  # counting on
    assert model.num_timesteps == 1024
    model.learn(100, reset_num_timesteps=False)  # less than a rollout: one rollout, as Stable-Baselines3 does
    assert model.num_timesteps == 1280
    model.learn(512)  # Stable-Baselines3's default: the count starts again
    assert model.num_timesteps == 512
    rows = _progress(tmp_path / "run")
    assert rows[-1][1] == "1792"  # the run has every step
    # the preset's learning rate lin_0.001 ran to 0 by step 512 and stayed there while counting
    # on; the last call started it again
    lr = [float(r[rows[0].index("learning_rate")]) for r in rows[1:]]
    assert lr[1] == 0 and lr[2:5] == [0, 0, 0] and lr[5] == pytest.approx(0.001 / 2, rel=1e-3) and lr[6] == 0
    with pytest.raises(ratchet.RatchetError, match="total_timesteps must be a positive"):
        model.learn(0)


def test_load_then_learn_trains_a_copy_and_never_rewrites_the_saved_run(tmp_path, cli):
    run = tmp_path / "cli-run"
    # constant schedules: a run continued to a new total then equals one trained to it directly
    settings = ["--set", "n_envs=2", "--set", "n_steps=128", "--set", "batch_size=64", "--set", "learning_rate=0.001",
                "--set", "clip_range=0.2", "--quiet"]
    code, _, err = cli("train", "--algo", "ppo", "--env", "CartPole-v1", "--steps", 2048, *settings, "--run-dir", run)
    assert code == 0, err
    before = _tree_digest(run)
    model = ratchet.load(run)
    assert model.num_timesteps == 2048
    model.learn(1024, reset_num_timesteps=False)
    assert model.num_timesteps == 3072
    assert _tree_digest(run) == before  # config.yaml, model and checkpoints untouched
    model.learn(1024, reset_num_timesteps=False)
    assert model.num_timesteps == 4096
    model.save(tmp_path / "continued")
    assert ratchet.load(tmp_path / "continued").num_timesteps == 4096
    # the same as training 4096 steps without stopping
    code, _, err = cli("train", "--algo", "ppo", "--env", "CartPole-v1", "--steps", 4096, *settings,
                       "--run-dir", tmp_path / "straight")
    assert code == 0, err
    obs = np.random.default_rng(3).normal(size=(32, 4)).astype(np.float32)
    assert np.array_equal(ratchet.load(tmp_path / "straight").predict(obs)[0], model.predict(obs)[0])


def test_a_python_env_model_is_usable_after_a_stop(tmp_path):
    model = ratchet.PPO(PointMass, seed=1, run_dir=tmp_path / "run", n_envs=2, n_steps=64, batch_size=64)
    model.learn(10_000, callback=lambda stats: stats["update"] < 2)
    assert model.num_timesteps == 256
    action, _ = model.predict(np.zeros(6, np.float32))
    assert action.shape == (2,)
    assert np.isfinite(model.evaluate(2)[0])
    model.export(tmp_path / "p.rpol")


def test_predict_and_act_take_exactly_one_observation_or_a_batch(tmp_path):
    model = _small()
    for bad in (np.zeros((8, 17), np.float32), np.zeros(8, np.float32), np.zeros((2, 2, 4), np.float32),
                np.zeros((0, 4), np.float32)):
        with pytest.raises(ratchet.RatchetError, match=r"expected an observation of shape \(4,\) or a batch"):
            model.predict(bad)
    with pytest.raises(ratchet.RatchetError, match=r"got an array of shape \(8, 17\)"):
        model.predict(np.zeros((8, 17), np.float32))
    obs = np.zeros((3, 4), np.float32)
    obs[1, 2] = np.nan
    with pytest.raises(ratchet.RatchetError, match=r"holds nan at \[1, 2\]"):
        model.predict(obs)
    with pytest.raises(ratchet.RatchetError, match="holds inf at index 0"):
        model.predict(np.array([np.inf, 0, 0, 0], np.float32))
    model.export(tmp_path / "p.rpol")
    deployed = ratchet.DeployedPolicy(tmp_path / "p.rpol")
    with pytest.raises(ratchet.RatchetError, match=r"act: expected an observation of shape \(4,\)"):
        deployed.act(np.zeros((8, 17), np.float32))
    with pytest.raises(ratchet.RatchetError, match="act: the observation holds nan"):
        deployed.act(np.full(4, np.nan, np.float32))


def test_stable_baselines3_constructor_and_policy_kwargs():
    model = ratchet.PPO("MlpPolicy", "CartPole-v1", seed=5, policy_kwargs=dict(net_arch=dict(pi=[32, 32], vf=[32, 32]),
                                                                             activation_fn="ReLU"))
    assert "net_arch: [32, 32]" in model.config and "activation: relu" in model.config
    assert model.env_id == "CartPole-v1" and model.seed == 5
    assert ratchet.PPO("CartPole-v1", 7).seed == 7  # the older positional seed
    with pytest.raises(ratchet.RatchetError, match="'MlpPolicy'"):
        ratchet.PPO("CnnPolicy", "CartPole-v1")
    with pytest.raises(ratchet.RatchetError, match="share their hidden widths"):
        ratchet.PPO("MlpPolicy", "CartPole-v1", policy_kwargs=dict(net_arch=dict(pi=[64], vf=[32])))
    with pytest.raises(ratchet.RatchetError, match="policy_kwargs 'features_extractor_class' is not supported"):
        ratchet.PPO("MlpPolicy", "CartPole-v1", policy_kwargs=dict(features_extractor_class=object))


def test_save_to_zip_is_one_file_that_load_reads(tmp_path):
    model = _small()
    model.learn(512)
    model.save(tmp_path / "model.zip")
    assert (tmp_path / "model.zip").is_file()
    loaded = ratchet.load(tmp_path / "model.zip")
    obs = np.random.default_rng(4).normal(size=(8, 4)).astype(np.float32)
    assert np.array_equal(loaded.predict(obs)[0], model.predict(obs)[0])
    assert loaded.num_timesteps == 512
    with pytest.raises(ratchet.RatchetError, match="already exists"):
        model.save(tmp_path / "model.zip")


def test_a_temporary_run_directory_goes_with_its_model():
    model = _small()
    model.learn(256)
    run_dir = model.run_dir
    assert os.path.isdir(run_dir)
    del model
    gc.collect()
    assert not os.path.exists(run_dir)


def test_a_run_directory_that_holds_a_run_is_refused_with_the_way_on(tmp_path):
    _small(run_dir=tmp_path / "run").learn(256)
    with pytest.raises(ratchet.RatchetError, match=r"already holds a run; continue it with ratchet.load"):
        _small(run_dir=tmp_path / "run")


def test_lambda_and_partial_factories_train(tmp_path):
    import functools
    for factory in (lambda: PointMass(), functools.partial(PointMass)):
        model = ratchet.PPO(factory, run_dir=tmp_path / str(id(factory)), n_envs=2, n_steps=64, batch_size=64)
        model.learn(128)
        assert model.env_id.startswith("PointMass-py") or model.env_id.startswith("PythonEnv-py"), model.env_id


class _Endless(PointMass):
    """PointMass that never ends an episode (no time limit, never terminates)."""

    def step(self, action):
        obs, reward, _, _, info = super().step(action)
        return obs, reward, False, False, info


def test_an_env_without_a_time_limit_warns_and_evaluation_is_capped(tmp_path):
    with pytest.warns(UserWarning, match="has no time limit"):
        ratchet.register("Endless-v0", _Endless)
    model = ratchet.PPO("Endless-v0", run_dir=tmp_path / "run", n_envs=2, n_steps=64, batch_size=64,
                        eval_episodes=1)
    model.learn(128)  # its periodic evaluation ends at the cap
    with pytest.warns(UserWarning, match="were cut at 300 steps"):
        mean, _ = model.evaluate(2, max_steps=300)
    assert np.isfinite(mean)
    with pytest.raises(ratchet.RatchetError, match="max_steps must be a positive"):
        model.evaluate(1, max_steps=0)


def _progress(run_dir):
    import csv
    with open(os.path.join(run_dir, "progress.csv")) as f:
        return [r[:2] + r[3:] for r in csv.reader(f)]  # without wall_time


_POINT_MASS_SETTINGS = dict(seed=4, n_envs=2, n_steps=64, batch_size=64, eval_episodes=2)


def test_a_python_env_continues_bit_identically_after_a_stop(tmp_path):
    straight = ratchet.PPO(PointMass, run_dir=tmp_path / "straight", **_POINT_MASS_SETTINGS)
    straight.learn(1024)
    stopped = ratchet.PPO(PointMass, run_dir=tmp_path / "stopped", **_POINT_MASS_SETTINGS)
    stopped.learn(1024, callback=lambda stats: stats["update"] < 3)
    assert stopped.num_timesteps == 384
    stopped.learn(1024 - 384, reset_num_timesteps=False)  # the environments continue from their pickled state
    assert _progress(tmp_path / "stopped") == _progress(tmp_path / "straight")


class _StateMethods(PointMass):
    """PointMass that saves its state through get_state/set_state (and does not pickle)."""

    def __init__(self):
        super().__init__()
        self.unpicklable = lambda: None

    def get_state(self):
        return dict(rng=self.rng.bit_generator.state, pos=self.pos, vel=self.vel, target=self.target, t=self.t)

    def set_state(self, s):
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = s["rng"]
        self.pos, self.vel, self.target, self.t = s["pos"], s["vel"], s["target"], s["t"]


class _NoState(_StateMethods):
    """Neither saves its state nor pickles."""

    def __getattribute__(self, name):
        if name in ("get_state", "set_state"):
            raise AttributeError(name)
        return super().__getattribute__(name)


def test_get_state_and_set_state_continue_bit_identically(tmp_path):
    straight = ratchet.PPO(_StateMethods, run_dir=tmp_path / "straight", **_POINT_MASS_SETTINGS)
    straight.learn(768)
    stopped = ratchet.PPO(_StateMethods, run_dir=tmp_path / "stopped", **_POINT_MASS_SETTINGS)
    stopped.learn(768, callback=lambda stats: stats["update"] < 2)
    stopped.learn(768 - 256, reset_num_timesteps=False)
    assert _progress(tmp_path / "stopped") == _progress(tmp_path / "straight")


def test_an_env_without_saved_state_continues_exactly_in_its_process(tmp_path):
    straight = ratchet.PPO(_NoState, run_dir=tmp_path / "straight", **_POINT_MASS_SETTINGS)
    straight.learn(768)
    stopped = ratchet.PPO(_NoState, run_dir=tmp_path / "stopped", **_POINT_MASS_SETTINGS)
    stopped.learn(768, callback=lambda stats: stats["update"] < 2)
    assert stopped.predict(np.zeros(6, np.float32))[0].shape == (2,)  # usable at once
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the live instances go on: no warning
        stopped.learn(768 - 256, reset_num_timesteps=False)
    assert _progress(tmp_path / "stopped") == _progress(tmp_path / "straight")


def test_an_env_without_saved_state_continues_in_a_new_process_after_a_warning(tmp_path):
    import subprocess
    import sys
    import textwrap
    model = ratchet.PPO(_NoState, run_dir=tmp_path / "run", **_POINT_MASS_SETTINGS)
    model.learn(768, callback=lambda stats: stats["update"] < 2)
    script = textwrap.dedent(f"""
        import sys, warnings
        sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
        import ratchet
        m = ratchet.load({str(tmp_path / 'run')!r})
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.learn(256, reset_num_timesteps=False)
        print(m.num_timesteps, len(w))
        print(w[0].message)
    """)
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    steps, count, message = p.stdout.split(None, 2)
    assert (steps, count) == ("512", "1")
    assert "does not save its state (give it get_state() and set_state(state), or make it picklable" in message
    assert "start new episodes, so this continuation is not bit-identical" in message


class _Emits(PointMass):
    """PointMass whose 3rd step returns what `fault` says."""

    def __init__(self, fault):
        super().__init__()
        self.fault = fault

    def step(self, action):
        obs, reward, term, trunc, info = super().step(action)
        if self.t == 3:
            if self.fault == "nan_obs":
                obs = obs.copy()
                obs[4] = np.nan
            elif self.fault == "inf_reward":
                reward = float("inf")
            elif self.fault == "huge_reward":
                reward = 1e39
            elif self.fault == "shape":
                obs = obs.reshape(2, 3)
            elif self.fault == "flag":
                term = "no"
            elif self.fault == "strings":
                obs = np.array(["a"] * 6)
        return obs, reward, term, trunc, info


@pytest.mark.parametrize("fault,match", [
    ("nan_obs", r"step 3 of the episode produced a non-finite observation \(element 4 is nan\)"),
    ("inf_reward", r"step 3 of the episode returned a non-finite reward \(inf\)"),
    ("huge_reward", r"step 3 of the episode returned a reward of 1e\+39 that does not fit in a float"),
    ("shape", r"observation of 6 values, shape \(2, 3\); observation_space has 6, shape \(6,\)"),
    ("flag", r"returned terminated = 'no' of <class 'str'>; expected a bool"),
    ("strings", r"not an array of real numbers"),
])
def test_python_env_output_is_checked_every_step_and_named(fault, match, tmp_path):
    env_id = f"Emits-{fault}-v0"
    ratchet.register(env_id, lambda: _Emits(fault), max_episode_steps=50)
    model = ratchet.PPO(env_id, run_dir=tmp_path / "run", n_envs=1, n_steps=32, batch_size=32)
    with pytest.raises(ratchet.RatchetError, match=match) as e:
        model.learn(64)
    assert "step size" not in str(e.value)
    assert env_id in str(e.value)


def test_a_run_of_a_python_env_loads_in_a_new_process(tmp_path):
    import subprocess
    import sys
    import textwrap
    model = ratchet.PPO(PointMass, seed=2, run_dir=tmp_path / "run", n_envs=2, n_steps=64, batch_size=64)
    model.learn(10_000, callback=lambda stats: stats["update"] < 2)
    obs = np.random.default_rng(5).normal(size=(4, 6)).astype(np.float32)
    np.save(tmp_path / "obs.npy", obs)
    np.save(tmp_path / "act.npy", model.predict(obs)[0])
    # a new process that knows nothing of PointMass: the run says how to make it again
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
        import numpy as np, ratchet
        m = ratchet.load({str(tmp_path / 'run')!r})
        assert np.array_equal(m.predict(np.load({str(tmp_path / 'obs.npy')!r}))[0],
                              np.load({str(tmp_path / 'act.npy')!r}))
        m.learn(128, reset_num_timesteps=False)  # and continues
        print("steps", m.num_timesteps)
    """)
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["steps", "384"]


def test_a_gymnasium_instance_trains_with_the_preset_of_its_id(capsys):
    gym = pytest.importorskip("gymnasium")
    model = ratchet.PPO(gym.make("CartPole-v1"), seed=1)
    assert model.env_id.startswith("CartPole-v1-")
    assert "n_steps: 32" in model.config and "gae_lambda: 0.8" in model.config  # configs/ppo.yaml's CartPole-v1
    assert "using the ppo preset of CartPole-v1" in capsys.readouterr().err


def test_a_gymnasium_id_ratchet_does_not_build_in_trains_through_gymnasium(tmp_path):
    import subprocess
    import sys
    pytest.importorskip("gymnasium")
    assert "MountainCar-v0" not in ratchet.list_envs()
    model = ratchet.PPO("MountainCar-v0", seed=1, run_dir=tmp_path / "run", n_envs=2, n_steps=64, batch_size=64,
                        eval_episodes=1)
    model.learn(128)
    assert model.num_timesteps == 128 and model.evaluate(1)[0] == -200.0  # untrained: the 200-step limit
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(ratchet.__file__))))
    p = subprocess.run([sys.executable, "-m", "ratchet._cli", "eval", str(tmp_path / "run"), "--episodes", "1"],
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0 and "MountainCar-v0" in p.stdout, p.stdout + p.stderr


class _Drawn(PointMass):
    """PointMass that draws itself at its own size (64 x 48)."""

    def render(self):
        frame = np.zeros((48, 64, 3), np.uint8)
        x, y = (np.clip(self.pos, -2, 2) + 2) / 4 * [63, 47]
        frame[int(y), int(x)] = 255
        return frame


def _gif_frames(path):
    data = open(path, "rb").read()
    assert data[:6] in (b"GIF89a", b"GIF87a")
    return data.count(b"\x21\xf9\x04")  # one graphic control extension per frame


def test_record_writes_the_gif_the_cli_writes(tmp_path, cli):
    run = tmp_path / "run"
    code, _, err = cli("train", "--algo", "ppo", "--env", "CartPole-v1", "--steps", 1024, "--quiet",
                       "--set", "n_envs=2", "--set", "n_steps=128", "--set", "batch_size=64", "--run-dir", run)
    assert code == 0, err
    code, out, err = cli("eval", run, "--episodes", 1, "--deterministic", "--gif", tmp_path / "cli.gif",
                         "--gif-size", 160)
    assert code == 0, err
    returns = ratchet.load(run).record(tmp_path / "py.gif", width=160, height=120)
    assert (tmp_path / "py.gif").read_bytes() == (tmp_path / "cli.gif").read_bytes()
    assert len(returns) == 1 and f"return {returns[0]:.2f}" in out
    two = ratchet.load(run).record(tmp_path / "two.gif", episodes=2, width=160, height=120)
    assert len(two) == 2 and two[0] == returns[0]
    with pytest.raises(ratchet.RatchetError, match="ending in .gif"):
        ratchet.load(run).record(tmp_path / "x.png")


def test_record_a_python_env_that_renders_at_its_own_size(tmp_path):
    ratchet.register("Drawn-v0", _Drawn, max_episode_steps=30)
    model = ratchet.PPO("Drawn-v0", n_envs=1, n_steps=32, batch_size=32)
    returns = model.record(tmp_path / "drawn.gif", episodes=2, width=32, height=24)
    assert len(returns) == 2
    assert _gif_frames(tmp_path / "drawn.gif") >= 4


@pytest.mark.parametrize("library", ["tqdm", "rich"])
def test_progress_bar_uses_tqdm_or_rich_when_installed(library, capsys, monkeypatch):
    pytest.importorskip(library)
    if library == "rich":
        monkeypatch.setitem(__import__("sys").modules, "tqdm", None)  # tqdm hidden: rich's bar
    model = _small()
    model.learn(1024, progress_bar=True)
    err = capsys.readouterr().err
    assert model.num_timesteps == 1024
    assert "ppo CartPole-v1" in err and "1024/1024" in err, err


def test_progress_bar_without_tqdm_or_rich_prints_the_progress_line(capfd, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "rich", None)
    monkeypatch.setitem(sys.modules, "rich.progress", None)
    model = _small()
    model.learn(512, progress_bar=True)
    assert "steps/s" in capfd.readouterr().err  # the trainer's line, written by C++


def test_ctrl_c_ends_an_evaluation(tmp_path):
    import signal
    import subprocess
    import sys
    import textwrap
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
        import ratchet
        from test_model import _Endless
        ratchet.register("EndlessEval-v0", _Endless, max_episode_steps=0)
        model = ratchet.PPO("EndlessEval-v0", n_envs=1, n_steps=32, batch_size=32)
        print("started", flush=True)
        t0 = time.time()
        try:
            model.evaluate(1, max_steps=10**9)
        except KeyboardInterrupt:
            print("interrupted after", round(time.time() - t0), "s", flush=True)
            sys.exit(130)
    """)
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "started"
    import time
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130, out + err
    assert "interrupted after" in out


def test_the_packages_ratchet_command_opens_runs_of_python_environments(tmp_path):
    import subprocess
    import sys
    cmd = [sys.executable, "-m", "ratchet._cli"]
    p = subprocess.run(cmd + ["--version"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.startswith("ratchet 0.1.0"), p.stdout + p.stderr
    model = ratchet.PPO(PointMass, seed=3, run_dir=tmp_path / "run", n_envs=1, n_steps=32, batch_size=32)
    model.learn(64)
    expected = model.evaluate(3, seed=7)[0]
    # a new process that never saw PointMass: the run's python_env.json makes it again
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.abspath(__file__)),
                                                        os.environ.get("PYTHONPATH", "")]))
    p = subprocess.run(cmd + ["eval", str(tmp_path / "run"), "--episodes", "3", "--seed", "7", "--deterministic"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    assert f"deterministic return {expected:.2f}" in p.stdout, p.stdout
    p = subprocess.run(cmd + ["export", str(tmp_path / "run"), "-o", str(tmp_path / "p.rpol")], capture_output=True,
                       text=True, timeout=60, env=env)
    assert p.returncode == 0 and (tmp_path / "p.rpol").exists(), p.stderr
    p = subprocess.run(cmd + ["resume", str(tmp_path / "run"), "--steps", "128", "--quiet"], capture_output=True,
                       text=True, timeout=60, env=env)
    assert p.returncode == 0 and "trained 128 steps" in p.stdout, p.stdout + p.stderr


def test_the_packages_ratchet_command_trains_sweeps_and_tunes_a_python_environment(tmp_path):
    import subprocess
    import sys
    cmd = [sys.executable, "-m", "ratchet._cli"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.abspath(__file__)), os.path.dirname(os.path.dirname(os.path.abspath(ratchet.__file__)))]))
    env.pop("RATCHET_PYTHON_ENVS", None)
    small = ["--set", "n_envs=2", "--set", "n_steps=64", "--set", "batch_size=64", "--set", "eval_episodes=2"]

    def run(*args):
        p = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
        assert p.returncode == 0, p.stdout + p.stderr
        return p.stdout

    # the environment named by its import path: every run records how to make it again
    run("sweep", "--algo", "ppo", "--env", "conftest:PointMass", "--seeds", "1-2", "--steps", "256", "--jobs", "1",
        "--out", "sw", *small)
    runs = sorted((tmp_path / "sw").glob("ppo-PointMass-py*"))
    assert len(runs) == 2 and all((r / "model.bin").exists() and (r / "python_env.json").exists() for r in runs), \
        sorted(os.listdir(tmp_path / "sw"))
    out = run("eval", str(runs[0]), "--episodes", "2")
    assert "PointMass-py" in out
    run("train", "--algo", "ppo", "--env", "conftest:PointMass", "--steps", "256", "--run-dir", "one", "--quiet",
        *small)
    assert (tmp_path / "one" / "python_env.json").exists()
    (tmp_path / "space.yaml").write_text("learning_rate: {log_uniform: [1.0e-4, 1.0e-3]}\n")
    out = run("tune", "--algo", "ppo", "--env", "conftest:PointMass", "--trials", "2", "--seeds", "1", "--steps", "256",
              "--jobs", "1", "--space", "space.yaml", "--out", "tu", *small)
    assert (tmp_path / "tu" / "best.yaml").exists(), out
    p = subprocess.run(cmd + ["train", "--algo", "ppo", "--env", "conftest:NoSuchEnv"], capture_output=True, text=True,
                       timeout=60, env=env, cwd=tmp_path)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "cannot import it" in p.stderr, p.stderr


def test_the_classes_document_their_keyword_arguments_from_the_settings():
    # the docstrings come from the settings' declarations, as `ratchet config --reference` does
    import ratchet
    for cls in (ratchet.PPO, ratchet.TRPO, ratchet.A2C):
        for s in ratchet._ratchet.settings(cls.algo):
            if s["key"] != "seed":
                assert f"    {s['key']} = {s['default']}: {s['doc']}" in cls.__doc__, (cls.algo, s["key"])
    assert "clip_range = " in ratchet.PPO.__doc__ and "clip_range = " not in ratchet.TRPO.__doc__
    assert "threads = 2: worker threads" in ratchet.PPO.__doc__ and "[incidental]" in ratchet.PPO.__doc__
