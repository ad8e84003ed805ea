"""docs/metrics.md's worked example is what the code computes: its Python block is run as written,
each value of its table is the row's (to the 10 decimals printed), and each "by hand" formula
holds to rounding."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

import leapsbench

DOC = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"
TEXT = DOC.read_text()
EXAMPLE = TEXT[TEXT.index("## Worked example") :]


def _row() -> dict:
    code = re.search(r"```python\n(.*?)```", EXAMPLE, re.S).group(1)
    scope: dict = {}
    exec(code, scope)  # the documented snippet, verbatim
    return scope["row"], scope["x"]


def _table() -> dict[str, str]:
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", EXAMPLE, re.M)
    return {key: value.strip() for key, value in rows}


def test_table_values_are_the_rows():
    row, _ = _row()
    table = _table()
    assert len(table) == 13
    for key, text in table.items():
        try:
            expected = float(text)
        except ValueError:
            assert row[key] == text, key
        else:
            assert row[key] == pytest.approx(expected, rel=0, abs=1e-10), key


def test_by_hand_formulas():
    row, x = _row()
    z = 2 * math.exp(4) + 12 + 2 * math.exp(-4)
    assert row["mag"] == pytest.approx(6 / 8, abs=1e-15)
    assert row["mag_err"] == pytest.approx(math.sqrt(1.875) / 8, rel=1e-12)
    assert row["mag_ref"] == pytest.approx((2 * math.exp(4) + 4) / z, rel=1e-12)
    assert row["ess"] == pytest.approx(32 / 11, rel=1e-12)
    assert row["log_z"] == pytest.approx(5 * math.log(2), rel=1e-12)
    assert row["log_z_err"] == pytest.approx(math.sqrt(0.5) / 2, rel=1e-12)
    assert row["log_z_ref"] == pytest.approx(math.log(z), rel=1e-12)
    exact = leapsbench.score("ising-L2-b0.5", x)
    assert exact["mag"] == pytest.approx(0.625, abs=1e-15) and exact["ess"] == 4
    assert exact["mag_err"] == pytest.approx(math.sqrt(0.6875) / 4, rel=1e-12)
    assert "0.2072890494" in EXAMPLE and f"{exact['mag_err']:.10f}" == "0.2072890494"
    assert exact["log_z"] is None


def test_log_q_is_the_documented_weight():
    """log_q = −βH − a − log Z_0 gives back weights a (here the example's plus 2, so that every
    log q ≤ 0): the same ⟨m⟩, errors and ESS, and log Ẑ larger by 2."""
    row, x = _row()
    model = leapsbench.benchmark("ising-L2-b0.5")
    log_w = np.log([1, 2, 1, 4]) + 2
    log_q = -model.beta * model.energy(x) - log_w - model.log_z0
    assert (log_q <= 0).all()
    again = leapsbench.score("ising-L2-b0.5", x, log_q=log_q)
    for key in ("mag", "mag_err", "ess", "log_z_err"):
        assert again[key] == pytest.approx(row[key], rel=1e-12), key
    assert again["log_z"] == pytest.approx(row["log_z"] + 2, rel=1e-12)
