"""When an estimate's error bar cannot be trusted: flagged instead of shown as a tight ±.

A run is unreliable when

* its chains were too short for an autocorrelation window, so that its ESS comes from the spread
  of the chain means (the row's own ``unreliable``, starting with :data:`SHORT_CHAINS`, set by
  :mod:`.metrics`; kept); or
* its ESS is below :data:`MIN_ESS` (Kish for weighted samples, n/τ_int for chains): the weighted
  mean and its delta-method error rest on a handful of samples, and the error bar itself is
  then as noisy as the estimate; or
* its error bars come from the spread between resampling islands and fewer than
  :data:`MIN_ISLANDS` islands carry weight, an island counting when its own Kish ESS exceeds
  :data:`ISLAND_MIN_ESS` (more than one walker effectively; (Σw)²/Σw² ≥ 1 always): a spread
  over two or three islands says little; or
* it ran past its time budget T by more than the tolerance every method is held to,
  spent > (1 + :data:`BUDGET_SLACK`) T + :data:`BUDGET_GRACE_SECONDS` (e.g. one training step
  longer than the budget): it is not a result at cost T, and is not compared with those.

Tables and plots show such an estimate without its ±, marked, and never as the best of a column.
"""

from __future__ import annotations

import math

MIN_ESS = 10.0
MIN_ISLANDS = 5
ISLAND_MIN_ESS = 1.5
BUDGET_SLACK = 0.1
BUDGET_GRACE_SECONDS = 2.0
SHORT_CHAINS = "chains too short"


def _number(value) -> float:
    try:
        return math.nan if value is None else float(value)
    except (TypeError, ValueError):
        return math.nan


def unreliable_reason(row: dict) -> str | None:
    """Why ``row``'s error bars are not to be trusted (module docstring), or None; several
    reasons are joined by "; ", running over budget first (the row is then not a result at its
    cost at all)."""
    if row.get("status") != "ok":
        return None
    own = row.get("unreliable") if isinstance(row.get("unreliable"), str) else ""
    short = [part for part in own.split("; ") if part.startswith(SHORT_CHAINS)]
    reasons = [_over_budget(row), *short] if short else [_over_budget(row), _too_few_samples(row)]
    reasons = [reason for reason in reasons if reason]
    return "; ".join(reasons) if reasons else None


def _over_budget(row: dict) -> str | None:
    budget, spent = _number(row.get("budget_seconds")), _number(row.get("total_seconds"))
    if spent > (1 + BUDGET_SLACK) * budget + BUDGET_GRACE_SECONDS:
        return f"over budget: {spent:.3g} s spent of T = {budget:g} s"
    return None


def _too_few_samples(row: dict) -> str | None:
    """ESS below MIN_ESS, or too few islands carrying weight (module docstring)."""
    ess = _number(row.get("ess"))
    if ess < MIN_ESS:
        return f"ESS {ess:.3g} < {MIN_ESS:g}"
    islands = _number(row.get("n_islands"))
    effective = _number(row.get("n_islands_effective"))
    if islands >= 2 and effective < MIN_ISLANDS:
        return f"{effective:.0f} of {islands:.0f} islands with ESS > {ISLAND_MIN_ESS:g}"
    return None
