"""Test-only fake methods for the harness tests (not part of the package).

``fake-is``: importance sampling from the uniform distribution, log w = −β H(x), so that
log Z_0 + log mean w estimates log Z exactly in expectation — a correct weighted sampler.
``fake-chain``: independent uniform-proposal "chains" of m and E reweighted by nothing (only the
shape matters: (n_chains, n_steps)).  ``fake-interrupt``: raises KeyboardInterrupt in ``sample``
once ``INTERRUPT_AFTER`` runs have finished (simulates Ctrl-C in the middle of a grid).
``fake-broken``: raises in ``sample``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from leapsbench.samples import Samples

NAMES = ("fake-is", "fake-chain", "fake-interrupt", "fake-broken")
CALLS = {"fit": 0, "sample": 0}
INTERRUPT_AFTER = [None]


@dataclass
class FakeMethod:
    name: str
    config: dict = field(default_factory=dict)
    param_count: int | None = 3
    trained: bool = False
    preset: str = "quick"
    training_checkpoint: str | None = None
    trains: ClassVar[bool] = True

    @property
    def training_config(self) -> dict:
        return self.config

    def fit(self, model, backend, rng, budget, progress=None):
        CALLS["fit"] += 1
        self.trained = True
        if progress is not None:
            progress(1, 1, loss=0.5)
        return {"steps": 1}

    def save(self, path):
        (Path(path) / "fake.json").write_text(json.dumps({"trained": self.trained}))

    def load(self, path, model):
        self.trained = json.loads((Path(path) / "fake.json").read_text())["trained"]

    def sample(self, model, backend, rng, budget, progress=None):
        if self.name == "fake-broken":
            raise RuntimeError("this fake method always fails")
        if self.name == "fake-interrupt" and CALLS["sample"] >= INTERRUPT_AFTER[0]:
            raise KeyboardInterrupt
        CALLS["sample"] += 1
        n = budget.n_samples or self.config["n"]
        start = time.perf_counter()
        x = model.uniform_states(backend, rng, n)
        energy = backend.to_numpy(model.energy(x))
        m = backend.to_numpy(model.magnetization(x))
        observables = {"m": m, "E": energy}
        if self.name == "fake-chain":
            observables = {k: v.reshape(8, -1) for k, v in observables.items()}
            return Samples(observables=observables, n_evaluations=n)
        return Samples(
            observables=observables,
            log_weights=-model.beta * energy,
            n_evaluations=n,
            seconds=time.perf_counter() - start,
            diagnostics={"ess_fraction": [1.0, 0.5], "n_steps": 2},
        )


def make(name, preset="quick", overrides=None):
    overrides = dict(overrides or {})
    unknown = set(overrides) - {"n"}
    if unknown:
        raise ValueError(f"unknown override(s) {sorted(unknown)}; valid keys: n")
    return FakeMethod(name, {"n": 4000 if preset == "quick" else 40000, **overrides}, preset=preset)
