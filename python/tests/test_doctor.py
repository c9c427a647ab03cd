"""Reproducibility from Python: the build report and the golden bits (as `ratchet doctor`)."""
import pytest

import ratchet


def test_build_report_names_the_build_and_the_machine():
    report = ratchet.build_report()
    assert report.startswith("ratchet ")
    for part in ("build: ", "Eigen ", "MuJoCo ", "this machine: ", "matrix products are planned for"):
        assert part in report, part


def test_doctor_reproduces_the_golden_bits_of_the_natural_gradient_family(capsys):
    # NPG, TRPO and ACKTR were the runs whose bits followed the CPU's cache sizes
    same = ratchet.doctor(algos=["npg", "trpo", "acktr"])
    out = capsys.readouterr().out
    if same is None:
        pytest.skip(out.strip().splitlines()[-1])
    assert same, out
    assert out.count("same bits") == 6, out


def test_doctor_names_an_unknown_algorithm():
    with pytest.raises(ratchet.RatchetError, match="unknown algorithm 'ppo2'"):
        ratchet.doctor(algos=["ppo2"])
