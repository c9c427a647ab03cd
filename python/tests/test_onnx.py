"""ONNX export against the real ONNX runtime: the graph, normaliser inside, acts as
DeployedPolicy does (to float rounding for Box actions, exactly for argmax)."""
import os
import subprocess

import numpy as np
import pytest

import ratchet

ort = pytest.importorskip("onnxruntime")


def _trained(tmp_path, env, **kw):
    model = ratchet.PPO(env, seed=2, run_dir=tmp_path / "run", n_envs=2, n_steps=64, batch_size=64,
                        normalize_obs=True, **kw)
    model.learn(256)  # a few updates: a normaliser with statistics of its own
    return model


def _session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("env", ["Pendulum-v1", "HalfCheetah-v4", "CartPole-v1"])
def test_onnx_acts_as_the_deployed_policy(tmp_path, env):
    model = _trained(tmp_path, env)
    model.export(tmp_path / "p.onnx")
    model.export(tmp_path / "p.rpol")
    deployed = ratchet.DeployedPolicy(tmp_path / "p.rpol")
    session = _session(tmp_path / "p.onnx")
    dim = model.observation_space.shape[0]
    obs = np.random.default_rng(0).normal(scale=2.0, size=(256, dim)).astype(np.float32)
    names = [o.name for o in session.get_outputs()]
    out = dict(zip(names, session.run(None, {"obs": obs})))
    want = np.stack([deployed.act(o) for o in obs])
    if env == "CartPole-v1":
        assert names == ["action", "logits", "value"]
        assert out["action"].dtype == np.int64
        assert np.array_equal(out["action"], want.reshape(-1).astype(np.int64))
        assert np.array_equal(out["action"], out["logits"].argmax(axis=1))
    else:
        assert names == ["action", "mean", "log_std", "value"]
        assert out["action"].shape == want.shape
        np.testing.assert_allclose(out["action"], want, rtol=0, atol=1e-5)
        low, high = model.action_space.low, model.action_space.high
        assert np.all(out["action"] >= low) and np.all(out["action"] <= high)
        assert out["log_std"].shape == (model.action_space.shape[0],)
    assert out["value"].shape == (256, 1) and np.all(np.isfinite(out["value"]))
    meta = session.get_modelmeta().custom_metadata_map
    assert meta["algo"] == "ppo" and meta["env"] == env and meta["normalize_obs"] == "true"
    assert meta["ratchet_version"] == "0.1.0" and meta["opset"] == "13"


def test_the_cli_exports_onnx_and_refuses_an_unknown_format(tmp_path, cli):
    _trained(tmp_path, "CartPole-v1")
    code, out, err = cli("export", tmp_path / "run", "-o", tmp_path / "cli.onnx")
    assert code == 0 and "ONNX, opset 13" in out, err
    assert _session(tmp_path / "cli.onnx").get_inputs()[0].name == "obs"
    code, out, err = cli("export", tmp_path / "run", "-o", tmp_path / "x.bin", "--format", "tflite")
    assert code == 2 and err.count("\n") == 1 and "--format must be rpol, onnx or c" in err, err
    assert not os.path.exists(tmp_path / "x.bin")
    with pytest.raises(ratchet.RatchetError, match="format must be"):
        ratchet.load(tmp_path / "run").export(tmp_path / "y.bin", format="tflite")
