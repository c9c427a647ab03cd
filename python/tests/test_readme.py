"""The README's Python section, run verbatim: it can never drift from what the package does."""
import os
import re

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")


def _python_blocks(section):
    with open(README) as f:
        text = f.read()
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], re.S)


def test_the_python_quick_start_runs_as_written(tmp_path, monkeypatch, capsys):
    blocks = _python_blocks("Python")
    assert blocks, "the README's Python section has no python block"
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "README.md (Python)", "exec"), {})
    printed = capsys.readouterr().out
    # the numbers its comments quote
    assert printed.startswith("68608 (500.0, 0.0)"), printed
    # a run stopped by its callback: its newest checkpoint is the model
    assert os.listdir(tmp_path / "runs" / "my-ppo" / "checkpoints")
    assert os.path.isfile(tmp_path / "my-ppo.zip") and os.path.isfile(tmp_path / "policy.rpol")


def test_the_stable_baselines3_block_runs_as_written(tmp_path, monkeypatch):
    import pytest
    pytest.importorskip("stable_baselines3")
    blocks = [b for b in _python_blocks("Python") if "ratchet.sb3" in b]
    assert len(blocks) == 1, "the README's Python section shows ratchet.sb3 once"
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(compile(blocks[0], "README.md (Stable-Baselines3)", "exec"), scope)
    assert scope["model"].num_timesteps >= 4096


def _blocks(section, lang):
    with open(README) as f:
        text = f.read()
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    return re.findall(rf"```{lang}\n(.*?)```", text[start:end], re.S)


def test_the_deploy_examples_run_as_written(tmp_path, monkeypatch, capsys):
    import shutil
    import subprocess
    import pytest
    pytest.importorskip("onnxruntime")
    monkeypatch.chdir(tmp_path)
    [python] = _blocks("Deploy", "python")
    exec(compile(python, "README.md (Deploy)", "exec"), {})
    onnx_action, predicted = capsys.readouterr().out.replace("[", " ").replace("]", " ").split()
    assert abs(float(onnx_action) - float(predicted)) < 1e-5
    if shutil.which("cc") is None:
        return
    [c] = _blocks("Deploy", "c")
    (tmp_path / "main.c").write_text(c)
    [sh] = _blocks("Deploy", "sh")
    first = sh.splitlines()[0]  # the host build (the ARM line needs a cross compiler)
    out = subprocess.run(first, shell=True, capture_output=True, text=True, check=True).stdout
    torque = float(out.split()[1])  # printed to 6 decimals
    assert abs(torque - float(onnx_action)) < 2e-6
    if shutil.which("arm-none-eabi-gcc"):
        subprocess.run(sh.splitlines()[1], shell=True, check=True)
