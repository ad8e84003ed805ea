"""The built wheel carries the reference files: installed outside the checkout, leapsbench reports
ΔMag and log-Z error on the paper benchmarks from any folder.

The wheel is built (``pip wheel --no-deps --no-build-isolation``, offline) from a copy of the
sources, installed with ``pip install --no-deps --target``, and run from an empty folder with
only that target on ``PYTHONPATH`` (the empty folder is the one put on ``sys.path``), so the
checkout's ``results/`` and sources cannot be what answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from leapsbench.harness.benchmarks import AUTHORS_BENCHMARKS, PAPER_BENCHMARKS

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "leapsbench", "backends", "baselines")
CHECK = """
import json, leapsbench
names = {names}
refs = {{n: leapsbench.reference(n) for n in names}}
print(json.dumps({{"file": leapsbench.__file__,
                  "missing": [n for n, r in refs.items() if r.mag is None or r.log_z is None]}}))
"""


def _pip(*args, cwd):
    subprocess.run([sys.executable, "-m", "pip", "-q", *args], cwd=cwd, check=True, timeout=300)


def _installed(tmp_path) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(ROOT / name, source / name)
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source), cwd=tmp_path)
    (wheel,) = wheels.glob("leapsbench-*.whl")
    _pip("install", "--no-deps", "--target", str(target), str(wheel), cwd=tmp_path)
    return target


def _python(args, target, cwd) -> str:
    env = {**os.environ, "PYTHONPATH": str(target), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_installed_wheel_reports_delta_mag_and_log_z_error_from_any_folder(tmp_path):
    target = _installed(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    names = sorted(set(PAPER_BENCHMARKS + AUTHORS_BENCHMARKS))
    report = json.loads(_python(["-c", CHECK.format(names=names)], target, elsewhere))
    assert Path(report["file"]).is_relative_to(target), report["file"]
    assert report["missing"] == []
    run = ["-m", "leapsbench", "run", "--benchmark", "potts-q4-L16-b0.9", "--method", "ais"]
    row = json.loads(
        _python([*run, "--seconds", "2", "--format", "json", "--no-progress"], target, elsewhere)
    )
    assert row["status"] == "ok", row["error"]
    assert row["delta_mag"] is not None and row["log_z_error"] is not None
    assert row["reference_source"].startswith("mag:swendsen-wang")
