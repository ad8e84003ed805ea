"""Reference values of a benchmark: exact when possible, else a stored file, else none.

Order, per quantity (⟨m⟩, log Z, ⟨E⟩/N, ⟨q²⟩): ``leapsbench.exact.exact_reference(model)``
(enumeration gives ⟨m⟩, log Z and, for spin glasses, ⟨q²⟩; Kaufman and the spin glass's Pfaffians
log Z only; all of them ⟨E⟩/N); then ``<name>.json`` in the user's folder (``directory``,
default :data:`USER_REFERENCE_DIR`, ``results/reference/`` under the current directory, where
``leapsbench reference`` writes); then the reference files shipped with the package
(``leapsbench/references/<name>.json``, read with :mod:`importlib.resources`, so an installed
leapsbench has them in any folder).  Keys of a file: docs/CONTRACTS.md; an invalid file or
entry is skipped with a warning naming it (:mod:`.validate`).  Whatever is still missing stays
None and the run reports no ΔMag / ΔE / log-Z error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from leapsbench.exact import exact_reference

from .validate import read_reference

USER_REFERENCE_DIR = Path("results") / "reference"
"""Where ``leapsbench reference`` writes and lookups search first (relative to the cwd)."""
PACKAGED = "leapsbench.references"
"""The package whose JSON files are the shipped references."""


@dataclass(frozen=True)
class Reference:
    """⟨m⟩ and log Z of a benchmark with their errors (0 when exact) and where they came from."""

    mag: float | None = None
    mag_err: float | None = None
    log_z: float | None = None
    log_z_err: float | None = None
    source: str = "none"
    energy: float | None = None
    energy_err: float | None = None
    """⟨E⟩/N, the energy per site."""
    overlap_q2: float | None = None
    """⟨q²⟩ of two replicas (enumerated spin glasses, or a stored parallel-tempering file)."""
    overlap_q2_err: float | None = None


def _user_file(name: str, directory: Path) -> dict:
    """The valid entries of the user's reference file (:func:`.validate.read_reference`)."""
    return read_reference(Path(directory) / f"{name}.json")


def packaged_reference(name: str) -> dict:
    """The shipped reference file of benchmark ``name`` as a dict ({} if none is shipped)."""
    entry = resources.files(PACKAGED) / f"{name}.json"
    return json.loads(entry.read_text()) if entry.is_file() else {}


def packaged_names() -> list[str]:
    """The benchmark names that have a shipped reference file."""
    files = resources.files(PACKAGED).iterdir()
    return sorted(f.name.removesuffix(".json") for f in files if f.name.endswith(".json"))


def find_reference(name: str, model, directory: Path | str | None = None) -> Reference:
    """The best available reference of benchmark ``name`` (module docstring); ``directory`` is
    the user's folder (default :data:`USER_REFERENCE_DIR`)."""
    values: dict = {}
    sources: list[str] = []
    exact = exact_reference(model)
    if exact is not None:
        values["log_z"] = (exact.log_z, 0.0)
        if exact.mag is not None:
            values["mag"] = (exact.mag, 0.0)
        values["energy_per_site"] = (exact.energy_per_site, 0.0)
        if exact.overlap_q2 is not None:
            values["overlap_q2"] = (exact.overlap_q2, 0.0)
        sources.append(exact.method)
    user = Path(USER_REFERENCE_DIR if directory is None else directory)
    packaged = read_reference(resources.files(PACKAGED) / f"{name}.json")
    for stored in (_user_file(name, user), packaged):
        for key, (value, error, method) in stored.items():
            if key not in values:
                values[key] = (value, error)
                sources.append(f"{key}:{method}")
    mag, mag_err = values.get("mag", (None, None))
    log_z, log_z_err = values.get("log_z", (None, None))
    energy, energy_err = values.get("energy_per_site", (None, None))
    q2, q2_err = values.get("overlap_q2", (None, None))
    source = "+".join(sources) or "none"
    return Reference(mag, mag_err, log_z, log_z_err, source, energy, energy_err, q2, q2_err)
