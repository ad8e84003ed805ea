"""Reference values of a benchmark: exact when possible, else results/reference/, else none.

Order: ``leapsbench.exact.exact_reference(model)`` (enumeration gives ⟨m⟩ and log Z, Kaufman
and the spin glass's Pfaffians log Z only; all of them ⟨E⟩/N); missing pieces are filled from
``results/reference/<name>.json`` (keys in docs/CONTRACTS.md); whatever is still missing stays
None and the run reports no ΔMag / ΔE / log-Z error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from leapsbench.exact import exact_reference

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "results" / "reference"


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
    """⟨q²⟩ of two replicas (exact, enumerated spin glasses only)."""


def _stored(name: str, directory: Path) -> dict:
    path = Path(directory) / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def find_reference(name: str, model, directory: Path | str = REFERENCE_DIR) -> Reference:
    """The best available reference of benchmark ``name`` (module docstring)."""
    values: dict = {}
    sources: list[str] = []
    exact = exact_reference(model)
    if exact is not None:
        values["log_z"] = (exact.log_z, 0.0)
        if exact.mag is not None:
            values["mag"] = (exact.mag, 0.0)
        values["energy_per_site"] = (exact.energy_per_site, 0.0)
        sources.append(exact.method)
    stored = _stored(name, Path(directory))
    for key in ("mag", "log_z", "energy_per_site"):
        entry = stored.get(key)
        if key not in values and isinstance(entry, dict) and entry.get("value") is not None:
            values[key] = (float(entry["value"]), float(entry.get("error") or 0.0))
            sources.append(f"{key}:{entry.get('method', 'stored')}")
    mag, mag_err = values.get("mag", (None, None))
    log_z, log_z_err = values.get("log_z", (None, None))
    energy, energy_err = values.get("energy_per_site", (None, None))
    source = "+".join(sources) or "none"
    q2 = None if exact is None else exact.overlap_q2
    return Reference(mag, mag_err, log_z, log_z_err, source, energy, energy_err, q2)
