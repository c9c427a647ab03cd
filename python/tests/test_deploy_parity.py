"""Every way a policy leaves Ratchet against the deploy library, over 10,000 observations (a
quarter of them far outside the normaliser's range): the ONNX graph passes ONNX's own checker and
acts in onnxruntime within 1e-6 relative of DeployedPolicy (argmax: equal); the C export, compiled
as its header says, acts bit for bit as DeployedPolicy. For both policy families (Gaussian,
categorical), every algorithm, a classic and a MuJoCo task; and an exported HalfCheetah policy
drives the environment to the return `ratchet eval --deterministic` reports."""
import ctypes
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

import ratchet

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")
CC = shutil.which("cc")
F32 = ctypes.POINTER(ctypes.c_float)


def _trained(tmp_path, algo, env):
    model = getattr(ratchet, algo)(env, seed=3, run_dir=tmp_path / "run", n_envs=2, n_steps=128,
                                   normalize_obs=True)
    model.learn(512)
    return model


def _observations(dim, n=10_000):
    rng = np.random.default_rng(7)
    obs = rng.normal(scale=2.0, size=(n, dim)).astype(np.float32)
    obs[: n // 4] *= 500.0  # far outside anything the normaliser saw: its clip decides
    return obs


def _c_library(model, tmp_path, name="pol"):
    model.export(tmp_path / f"{name}.c")
    header = open(tmp_path / f"{name}.h").read()
    command = re.search(r"`(cc [^`]*)`", header).group(1).split()
    so = str(tmp_path / f"{name}.so")
    subprocess.run(command + ["-shared", "-fPIC", "-o", so, str(tmp_path / f"{name}.c"), "-lm"], check=True)
    return ctypes.CDLL(so)


def _c_actions(lib, obs, act_dim, name="pol"):
    out = np.zeros((len(obs), act_dim), np.float32)
    obs = np.ascontiguousarray(obs)
    getattr(lib, f"{name}_act_batch")(obs.ctypes.data_as(F32), out.ctypes.data_as(F32), ctypes.c_int(len(obs)))
    return out


CASES = [(a, "CartPole-v1") for a in ("PPO", "A2C", "VPG", "NPG", "TRPO", "ACKTR", "PPOKL")] + \
        [(a, "Pendulum-v1") for a in ("PPO", "A2C", "VPG", "NPG", "TRPO", "ACKTR", "PPOKL")] + \
        [("PPO", "HalfCheetah-v4"), ("TRPO", "Hopper-v5")]


@pytest.mark.parametrize("algo,env", CASES, ids=[f"{a}-{e}" for a, e in CASES])
def test_onnx_and_c_act_as_the_deploy_library(tmp_path, algo, env):
    model = _trained(tmp_path, algo, env)
    model.export(tmp_path / "p.rpol")
    model.export(tmp_path / "p.onnx")
    onnx.checker.check_model(onnx.load(str(tmp_path / "p.onnx")), full_check=True)
    deployed = ratchet.DeployedPolicy(tmp_path / "p.rpol")
    obs = _observations(model.observation_space.shape[0])
    discrete = env == "CartPole-v1"
    act_dim = 1 if discrete else model.action_space.shape[0]
    want = np.stack([np.asarray(deployed.act(o), np.float32).reshape(-1) for o in obs])
    session = ort.InferenceSession(str(tmp_path / "p.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(["action"], {"obs": obs})[0]
    if discrete:
        assert np.array_equal(got, want.reshape(-1).astype(np.int64))
    else:
        # 1e-6 relative to the action's scale (its bounds), the float rounding of the runtime's products
        scale = np.maximum(np.abs(model.action_space.low), np.abs(model.action_space.high))
        assert np.max(np.abs(got - want) / scale) <= 1e-6, np.max(np.abs(got - want) / scale)
    if CC is not None:
        lib = _c_library(model, tmp_path)
        assert _c_actions(lib, obs, act_dim).tobytes() == want.tobytes()


@pytest.mark.skipif(CC is None, reason="no C compiler (cc)")
def test_an_exported_halfcheetah_drives_the_env_to_evaluations_return(tmp_path):
    model = _trained(tmp_path, "PPO", "HalfCheetah-v4")
    lib = _c_library(model, tmp_path, "cheetah")
    model.export(tmp_path / "p.onnx")
    session = ort.InferenceSession(str(tmp_path / "p.onnx"), providers=["CPUExecutionProvider"])
    seed = 1_000_000_000  # evaluation's first episode
    want, _ = model.evaluate(1, seed=seed)
    returns = {}
    for name, act in (("c", lambda o: _c_actions(lib, o[None], 6, "cheetah")[0]),
                      ("onnx", lambda o: session.run(["action"], {"obs": o[None]})[0][0])):
        env = ratchet.make("HalfCheetah-v4")
        obs, _ = env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            obs, r, terminated, truncated, _ = env.step(act(obs))
            total, done = total + r, terminated or truncated
        returns[name] = total
    assert returns["c"] == want  # the same actions, bit for bit, so the same episode
    assert abs(returns["onnx"] - want) <= 1e-3 * max(1.0, abs(want)), (returns, want)


def test_crafted_exports_are_one_line_exit_2_and_write_nothing(tmp_path, cli):
    _trained(tmp_path, "PPO", "Pendulum-v1")
    run = tmp_path / "run"
    for fmt, out in (("onnx", "p.onnx"), ("c", "p"), ("rpol", "p.rpol")):
        code, _, err = cli("export", run, "--format", fmt, "-o", tmp_path / "missing-dir" / out)
        assert code == 2 and err.count("\n") == 1, (fmt, err)
    assert not (tmp_path / "missing-dir").exists()
    code, _, err = cli("export", run, "--format", "tflite", "-o", tmp_path / "x")
    assert code == 2 and err.count("\n") == 1 and "rpol, onnx or c" in err
    # (a model with non-finite parameters: tests/deploy/c_export_test.cc, where one can be made)
