"""Score stored rows again against today's references, their estimates untouched.

A reference can improve after rows were computed (a parallel-tempering reference pooled with more
runs, a file added to ``results/reference/``).  :func:`rescore_rows` recomputes, for each
successful row, the columns :func:`.metrics.reference_columns` derives from the row's own
estimates (⟨m⟩, ⟨e⟩, ⟨q²⟩, log Ẑ) and the reference :func:`.reference_lookup.find_reference`
finds now: the reference values and errors, ΔMag, ΔE, Δq², the log-Z error and the source.  A
row whose reference columns change — a number by more than :data:`SAME` relative (an exact
reference recomputed may differ in its last digits), a missing one found, a source renamed — gets
``rescored_at`` (UTC, ISO 8601) and all its reference columns anew; a row whose benchmark
cannot be rebuilt from its name (an ``ea-file-`` instance not in the instance store) is kept as
it is, with a warning naming it.
"""

from __future__ import annotations

import datetime
import warnings

from .metrics import reference_columns
from .reference_lookup import find_reference

SAME = 1e-9
"""Numbers within this relative difference are the same reference (rounding, not a change)."""


def _differs(old, new) -> bool:
    if isinstance(old, float | int) and isinstance(new, float | int):
        return abs(old - new) > SAME * max(1.0, abs(old), abs(new))
    return old != new


def rescore_rows(rows: list[dict], directory=None) -> tuple[list[dict], int]:
    """(``rows`` scored against today's references, how many changed); ``directory`` is the
    user's reference folder (:func:`.reference_lookup.find_reference`)."""
    from .benchmarks import parse_benchmark

    references, out, changed = {}, [], 0
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    for row in rows:
        name = row["benchmark"]
        if row.get("status") != "ok":
            out.append(row)
            continue
        if name not in references:
            try:
                model = parse_benchmark(name).model
            except (ValueError, OSError) as err:
                warnings.warn(f"not rescoring rows of {name}: {err}", stacklevel=2)
                references[name] = None
            else:
                references[name] = (find_reference(name, model, directory), model.n_sites)
        if references[name] is None:
            out.append(row)
            continue
        columns = reference_columns(row, *references[name])
        if any(_differs(row.get(key), value) for key, value in columns.items()):
            row = {**row, **columns, "rescored_at": now}
            changed += 1
        out.append(row)
    return out, changed
