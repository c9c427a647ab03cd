"""The C export end to end, as its user takes it: model.export("x.c") and `ratchet export --format
c`, compiled with the command its header gives, loaded with ctypes, acting bit for bit as
ratchet.DeployedPolicy does on the same observations."""
import ctypes
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

import ratchet

pytestmark = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc)")


def _compiled(c_file):
    header = open(os.path.splitext(c_file)[0] + ".h").read()
    command = re.search(r"`(cc [^`]*)`", header).group(1).split()
    so = os.path.splitext(c_file)[0] + ".so"
    subprocess.run(command + ["-Wall", "-Wextra", "-pedantic", "-Werror", "-shared", "-fPIC", "-o", so, c_file, "-lm"],
                   check=True)
    return ctypes.CDLL(so)


@pytest.mark.parametrize("env", ["Pendulum-v1", "CartPole-v1", "HalfCheetah-v5"])
def test_exported_c_acts_as_the_deployed_policy(tmp_path, env):
    model = ratchet.PPO(env, seed=4, run_dir=tmp_path / "run", n_envs=2, n_steps=64, batch_size=64,
                        normalize_obs=True)
    model.learn(256)
    model.export(tmp_path / "walker.c")
    model.export(tmp_path / "p.rpol")
    lib = _compiled(str(tmp_path / "walker.c"))
    deployed = ratchet.DeployedPolicy(tmp_path / "p.rpol")
    dim = model.observation_space.shape[0]
    act_dim = 1 if env == "CartPole-v1" else model.action_space.shape[0]
    obs = np.random.default_rng(1).normal(scale=3.0, size=(300, dim)).astype(np.float32)
    got = np.zeros((300, act_dim), np.float32)
    f32 = ctypes.POINTER(ctypes.c_float)
    lib.walker_act_batch(obs.ctypes.data_as(f32), got.ctypes.data_as(f32), ctypes.c_int(300))
    want = np.stack([np.asarray(deployed.act(o), np.float32).reshape(-1) for o in obs])
    assert got.tobytes() == want.tobytes()
    one = np.zeros(act_dim, np.float32)
    lib.walker_act(obs[7].ctypes.data_as(f32), one.ctypes.data_as(f32))
    assert one.tobytes() == want[7].tobytes()


def test_the_cli_writes_the_pair_and_names_its_functions_after_the_file(tmp_path):
    model = ratchet.PPO("CartPole-v1", seed=1, run_dir=tmp_path / "run", n_envs=2, n_steps=64, batch_size=64)
    model.learn(128)
    cli = os.environ.get("RATCHET_CLI") or shutil.which("ratchet")
    if cli is None:
        pytest.skip("no ratchet executable")
    out = subprocess.run([cli, "export", str(tmp_path / "run"), "--format", "c", "-o", str(tmp_path / "cart_pole")],
                         capture_output=True, text=True, check=True).stdout
    assert "cart_pole.h and" in out and "C99" in out
    header = open(tmp_path / "cart_pole.h").read()
    assert "void cart_pole_act(const float *obs, float *action);" in header
    assert "#define CART_POLE_OBS_DIM 4" in header
    lib = _compiled(str(tmp_path / "cart_pole.c"))
    assert hasattr(lib, "cart_pole_act_batch")
    bad = subprocess.run([cli, "export", str(tmp_path / "run"), "--format", "cpp", "-o", str(tmp_path / "x")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "rpol, onnx or c" in bad.stderr
