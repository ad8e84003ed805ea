"""A mixture importance sampler for Ising and Potts lattices, in plain numpy.

It uses nothing of leapsbench but the ``Samples`` record it returns and the public objects the
harness passes in (the model, the backend, the random generator and the budget; the README of
this example lists the members it relies on).

Proposal: the mixture of :mod:`external_sampler.proposal` (uniform configurations and
"ordered" ones), whose exact log-probability log q(x) it also gives.  The importance weight of x
is  log w = −β H(x) − log q(x) − N log q,  which makes ``N log q + log mean exp(log w)``
estimate log Z, as ``Samples.log_weights`` requires.

``external-mixture`` samples with the given ``align``; ``external-tuned`` also ``fit``s: it picks
the ``align`` whose pilot sample has the largest Kish ESS and is cached with ``save``/``load``.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from leapsbench.samples import Samples

from .proposal import kish_ess, log_proposal, propose

DEFAULTS = {
    "quick": {"n_samples": 4000, "align": 0.9, "uniform_share": 0.5, "chunk": 2000},
    "paper": {"n_samples": 100_000, "align": 0.9, "uniform_share": 0.5, "chunk": 10_000},
}
ALIGN_GRID = (0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
PILOT_SAMPLES = 2000


def make(name, preset, overrides):
    """The entry point: ``make(name, preset, overrides) -> method`` (overrides from ``--set``)."""
    if preset not in DEFAULTS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(DEFAULTS)}")
    unknown = sorted(set(overrides) - set(DEFAULTS[preset]))
    if unknown:
        raise ValueError(f"unknown keys {unknown}; valid keys: {', '.join(DEFAULTS[preset])}")
    settings = {**DEFAULTS[preset], **overrides}
    for key in ("n_samples", "chunk"):
        if (
            not isinstance(settings[key], int)
            or isinstance(settings[key], bool)
            or settings[key] < 1
        ):
            raise ValueError(f"{key} must be an integer >= 1, got {settings[key]!r}")
    if not 0 < settings["align"] < 1 or not 0 < settings["uniform_share"] <= 1:
        raise ValueError("align must be in (0, 1) and uniform_share in (0, 1]")
    cls = TunedMixtureSampler if name == "external-tuned" else MixtureSampler
    return cls(dict(settings))


class MixtureSampler:
    """The method object: ``sample`` is all that leapsbench needs; ``config`` is recorded."""

    def __init__(self, config):
        self.config = config

    def sample(self, model, backend, rng, budget, progress=None):
        """Draw ``budget.n_samples`` (else ``n_samples``), or chunks until
        ``budget.sample_seconds`` are spent."""
        start = time.perf_counter()
        gen = np.random.default_rng(backend.to_numpy(rng.integers(0, 2**31 - 1, (4,))))
        seconds, chunk = budget.sample_seconds, self.config["chunk"]
        total = budget.n_samples or self.config["n_samples"]
        parts, done = [], 0
        while not parts or (
            time.perf_counter() - start < 0.9 * seconds if seconds else done < total
        ):
            size = chunk if seconds else min(chunk, total - done)
            parts.append(self._chunk(model, backend, gen, size, self.config["align"]))
            done += size
            if progress is not None and not seconds:
                progress(done, total)
        m, energy, log_w = (np.concatenate(column) for column in zip(*parts, strict=True))
        return Samples(
            observables={"m": m, "E": energy},
            log_weights=log_w,
            n_evaluations=done,
            seconds=time.perf_counter() - start,
        )

    def _chunk(self, model, backend, gen, size, align):
        """(m, E, log w) of ``size`` proposals, as numpy arrays."""
        values = propose(gen, model.q, model.n_sites, size, align, self.config["uniform_share"])
        x = model.from_values(backend.from_numpy(values.reshape(size, *model.shape)))
        energy = backend.to_numpy(model.energy(x))
        log_q = log_proposal(values, model.q, align, self.config["uniform_share"])
        log_w = -model.beta * energy - log_q - model.n_sites * math.log(model.q)
        return backend.to_numpy(model.magnetization(x)), energy, log_w


class TunedMixtureSampler(MixtureSampler):
    """``fit`` chooses ``align`` on a pilot sample; ``save``/``load`` make it cacheable."""

    def fit(self, model, backend, rng, budget, progress=None):
        gen = np.random.default_rng(backend.to_numpy(rng.integers(0, 2**31 - 1, (4,))))
        ess = {
            a: kish_ess(self._chunk(model, backend, gen, PILOT_SAMPLES, a)[2]) for a in ALIGN_GRID
        }
        self.config = {**self.config, "align": max(ess, key=ess.get)}
        return {"align": self.config["align"], "pilot_ess": ess[self.config["align"]]}

    def save(self, path):
        (Path(path) / "external-tuned.json").write_text(json.dumps({"align": self.config["align"]}))

    def load(self, path, model):
        saved = json.loads((Path(path) / "external-tuned.json").read_text())
        self.config = {**self.config, "align": saved["align"]}
