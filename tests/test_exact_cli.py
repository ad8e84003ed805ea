"""The ``leapsbench exact`` command: JSON and table output, method choice, clean errors."""

from __future__ import annotations

import json
import math
import re

import pytest

from leapsbench.cli import main
from leapsbench.exact.enumerate import enumerate_model
from leapsbench.exact.kaufman import ising_log_z, ising_thermodynamics
from leapsbench.models import ising, potts


def run_json(capsys, *argv):
    assert main(["exact", *argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_kaufman_json(capsys):
    out = run_json(capsys, "ising", "--size", "24x16", "--beta", "0.4407")
    thermo = ising_thermodynamics(24, 16, 0.4407)
    assert out["method"] == "kaufman" and out["mag"] is None
    assert out["log_z"] == pytest.approx(ising_log_z(24, 16, 0.4407), rel=1e-15)
    assert out["log_z_per_site"] == pytest.approx(out["log_z"] / 384, rel=1e-15)
    assert out["energy_per_site"] == pytest.approx(thermo["energy_per_site"], rel=1e-15)
    assert out["model"] == ising(24, 16, beta=0.4407).config()


def test_cli_enumeration_json(capsys):
    out = run_json(capsys, "potts", "--q", "3", "--size", "3x4", "--beta", "0.8")
    exact = enumerate_model(potts(3, 3, 4, beta=0.8))
    assert out["method"] == "enumeration"
    assert out["log_z"] == pytest.approx(exact.log_z, rel=1e-15)
    assert out["mag"] == pytest.approx(exact.mag, rel=1e-15)
    out = run_json(capsys, "ising", "--size", "3", "--beta", "0.3", "--h", "0.2", "--open")
    exact = enumerate_model(ising(3, 3, beta=0.3, h=0.2, periodic=False))
    assert out["model"]["periodic"] is False and out["model"]["h"] == 0.2
    assert out["energy_per_site"] == pytest.approx(exact.energy_per_site, rel=1e-15)


def test_cli_table(capsys):
    assert main(["exact", "ising", "--size", "8x8", "--beta", "0.3", "--J", "-1"]) == 0
    text = capsys.readouterr().out
    assert "kaufman" in text
    value = float(next(line for line in text.splitlines() if line.startswith("log_z ")).split()[1])
    assert math.isclose(value, ising_log_z(8, 8, 0.3), rel_tol=1e-14)


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["ising", "--size", "24y24", "--beta", "0.4"], "--size must look like 24x16"),
        (["ising", "--size", "64", "--beta", "0.4", "--h", "0.1"], "no exact method"),
        (["potts", "--size", "10x10", "--beta", "1"], r"3\^100 ~ 10\^47.7"),
        (["ising", "--size", "1x5", "--beta", "0.4"], "Lx must be an integer >= 2"),
        (
            ["ising", "--size", "4", "--beta", "-1"],
            "--beta: got .-1.; expected a finite number >= 0",
        ),
        (["ising", "--size", "4", "--beta", "0.4", "--q", "3"], "--q applies to potts only"),
        (["potts", "--size", "3", "--beta", "0.4", "--h", "1"], "--h applies to ising only"),
    ],
)
def test_cli_errors(capsys, argv, match):
    assert main(["exact", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.search(match, captured.err), captured.err
