"""The installed package stands on its own: every module of ``leapsbench`` imports in a fresh
interpreter run outside the repository (``python -I`` from a temporary folder, so the checkout is
not on ``sys.path``), and importing all of them loads neither torch nor cupy (optional heavy
dependencies import lazily).  ``python -m pytest`` puts the repository root on ``sys.path``, so a
module importing ``backends.rng`` instead of ``leapsbench.backends.rng`` passes every other test
and fails only for an installed user (``leapsbench run`` from its console script)."""

from __future__ import annotations

import json
import subprocess
import sys

IMPORT_ALL = """
import importlib, json, pkgutil, sys
import leapsbench
names = [m.name for m in pkgutil.walk_packages(leapsbench.__path__, "leapsbench.")
         if not m.name.endswith(".__main__")]
failed = {}
for name in names:
    try:
        importlib.import_module(name)
    except Exception as err:
        failed[name] = repr(err)
heavy = sorted(m for m in ("torch", "cupy") if m in sys.modules)
print(json.dumps({"modules": len(names), "failed": failed, "heavy": heavy}))
"""


def test_every_module_imports_outside_the_checkout_without_torch(tmp_path):
    done = subprocess.run(
        [sys.executable, "-I", "-c", IMPORT_ALL],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout)
    assert report["modules"] > 30, report
    assert report["failed"] == {}, report["failed"]
    assert report["heavy"] == [], f"imported eagerly: {report['heavy']}"
