"""bench/peers/peers.py --quick, with whatever peers this environment has (Stable-Baselines3 and
Gymnasium in the test environment; EnvPool and sb3-contrib in bench/peers/run.sh's): every part
runs and prints its table. A smoke test of the benchmark, not a measurement."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("stable_baselines3")
pytest.importorskip("gymnasium")
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "peers", "peers.py")


def test_the_peers_benchmark_runs_in_quick_mode():
    out = subprocess.run([sys.executable, SCRIPT, "--quick", "--only", "ppo,vec"], capture_output=True, text=True,
                         timeout=300, env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    assert "| PPO CartPole-v1, 4,096 steps (rl-zoo) |" in text, text
    assert "Stable-Baselines3 2.9.2" in text
    for env in ("CartPole-v1", "HalfCheetah-v4"):
        assert f"| {env} | 2 | 64 |" in text, text
    assert "SB3 via ratchet.sb3" in text and "Gymnasium SyncVectorEnv" in text
