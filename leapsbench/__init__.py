"""leapsbench: a benchmark suite for samplers of discrete lattice models.

The Python API (docs/api.md), for samplers that live outside leapsbench:

* :func:`benchmark` — the model of a benchmark (energy, magnetization, local energy changes);
* :func:`score` — the result row of samples drawn anywhere, as ``leapsbench score`` stores it;
* :func:`reference` — a benchmark's reference ⟨m⟩ and log Z with their errors and source;
* :func:`load_results` — a results store as a pandas DataFrame.

Each imports what it needs when called, so ``import leapsbench`` stays light (no pandas, torch).
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["benchmark", "load_results", "reference", "score"]


def benchmark(name: str):
    """The model of benchmark ``name`` (e.g. ``"potts-q4-L16-b0.9"``): ``energy(x)``,
    ``magnetization(x)``, ``delta_energy(x)``, ``beta``, ``shape``, ``log_z0`` (docs/api.md)."""
    from leapsbench.harness.benchmarks import get_benchmark

    return get_benchmark(name).model


def score(benchmark: str, x, log_weights=None, log_q=None, chains: bool = False, **declared):
    """The result row (a dict) of samples ``x`` of ``benchmark``, computed as ``leapsbench
    score`` does; ``declared``: ``name``, ``seed``, ``seconds``, ``train_seconds``,
    ``evaluations``, ``hardware``, ``reference_dir`` (:func:`leapsbench.harness.scoring.score`)."""
    from leapsbench.harness.scoring import score as score_arrays

    return score_arrays(benchmark, x, log_weights, log_q, chains, **declared)


def reference(benchmark: str, directory=None):
    """The reference of ``benchmark``: a ``Reference(mag, mag_err, log_z, log_z_err, source)``
    (errors 0 when exact, None where there is no reference); ``directory`` is searched before the
    packaged files (default ``results/reference/`` under the current directory)."""
    from leapsbench.harness.benchmarks import get_benchmark
    from leapsbench.harness.reference_lookup import find_reference

    spec = get_benchmark(benchmark)
    return find_reference(spec.name, spec.model, directory)


def load_results(path="results/runs"):
    """The rows of a results store (a directory, or a .csv/.json of rows) as a pandas DataFrame,
    one row per run, columns the row keys (docs/CONTRACTS.md)."""
    import pandas as pd

    from leapsbench.harness.store import load_rows

    return pd.DataFrame(load_rows(path))
