"""`mpirun -np K python3 train.py`: the Python API on MPI ranks (rank and size from MPI itself)
gives the bits of one process, with a built-in and with a Python environment."""
import os
import shutil
import subprocess
import sys

import pytest

import ratchet
from ratchet import _ratchet

SCRIPT = r'''
import sys
sys.path.insert(0, {tests!r})
import numpy as np
import ratchet
from cartpole import PyCartPole

out = sys.argv[1]
ratchet.register("PyCartPoleMpi-v0", PyCartPole, max_episode_steps=200)
for env, name in (("Pendulum-v1", "builtin"), ("PyCartPoleMpi-v0", "python")):
    model = ratchet.PPO(env, seed=4, run_dir=f"{{out}}/{{name}}", n_envs=4, n_steps=64, batch_size=64,
                        normalize_obs=True)
    model.learn(1024)
print(f"rank {{ratchet.mpi_rank()}} of {{ratchet.mpi_size()}} done", flush=True)
'''


def run(tmp_path, ranks, out):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT.format(tests=os.path.dirname(__file__)))
    cmd = [sys.executable, str(script), str(out)]
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    if ranks:
        cmd = [shutil.which("mpirun"), "-np", str(ranks), "--oversubscribe"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


@pytest.mark.skipif(not _ratchet.built_with_mpi() or shutil.which("mpirun") is None,
                    reason="built without MPI or without mpirun")
def test_mpirun_python_gives_the_bits_of_one_process(tmp_path):
    alone = run(tmp_path, 0, tmp_path / "one")
    assert "rank 0 of 1 done" in alone
    both = run(tmp_path, 2, tmp_path / "two")
    assert "rank 0 of 2 done" in both and "rank 1 of 2 done" in both
    for name in ("builtin", "python"):
        one = (tmp_path / "one" / name / "model.bin").read_bytes()
        two = (tmp_path / "two" / name / "model.bin").read_bytes()
        assert one == two, name
        assert (tmp_path / "one" / name / "eval.json").read_text() == (tmp_path / "two" / name / "eval.json").read_text()


def test_mpi_rank_and_size_without_mpirun():
    assert ratchet.mpi_rank() == 0
    assert ratchet.mpi_size() == 1
