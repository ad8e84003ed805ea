"""Compare two sets of results (BASE, NEW) per group of runs that differ only in seed, for CI.

A group is (benchmark, method, variant, backend, device, dtype) (:data:`.tables.GROUP`); the
variant is the preset plus the ``--set`` overrides.

For each metric the ratio NEW/BASE of the mean over seeds is reported.  NEW regresses on a
quality metric when it is worse by more than ``threshold`` (relative) AND by more than
``n_sigma`` combined error bars, √(σ_base² + σ_new²), so that seed noise does not fail CI:

* lower is better: ΔMag, ΔE (energy per site), log-Z error → regression if
  new > base·(1 + threshold) + n_sigma·σ;
* higher is better: ESS fraction → regression if new < base·(1 − threshold) − n_sigma·σ;
* speed (total seconds, lower is better): its ratio is always reported, and judged only when
  ``speed_threshold`` is given — regression if new > base·(1 + speed_threshold) — since wall
  time on shared machines is noisy (the entry's verdict is then "not judged").

A group that succeeded in BASE but failed or is missing in NEW is a regression too, and so is a
metric that BASE measured and NEW does not.  A metric BASE did not measure (ΔMag on a spin glass,
ΔE in rows written before it existed) is not compared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .tables import GROUP, summarise

QUALITY = (
    ("delta_mag", True),
    ("delta_energy", True),
    ("log_z_error", True),
    ("ess_fraction", False),
)
SPEED = ("total_seconds", True)


@dataclass
class CompareReport:
    """Per-group comparison ``entries`` (dicts) and the ``regressions`` among them."""

    entries: list[dict] = field(default_factory=list)

    @property
    def regressions(self) -> list[dict]:
        return [e for e in self.entries if e["regression"]]

    @property
    def ok(self) -> bool:
        return not self.regressions

    def speed_ratios(self) -> list[float]:
        """NEW/BASE total time of every group where both are known."""
        return [
            e["ratio"]
            for e in self.entries
            if e["metric"] == SPEED[0] and e["ratio"] is not None and np.isfinite(e["ratio"])
        ]

    def to_markdown(self) -> str:
        columns = (*GROUP, "metric", "base", "new", "new/base", "verdict")
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for e in self.entries:
            verdict = "REGRESSION: " + e["reason"] if e["regression"] else e["verdict"]
            cells = [str(e[k]) for k in GROUP] + [e["metric"]]
            cells += [_fmt(e["base"]), _fmt(e["new"]), _fmt(e["ratio"]), verdict]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)


def _fmt(value) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:.4g}"


def _finite(value) -> float:
    return float(value) if value is not None and np.isfinite(value) else 0.0


def _judge(base, new, base_err, new_err, lower, threshold, n_sigma) -> tuple[bool, str]:
    if not np.isfinite(new):
        return True, f"not measured in NEW (BASE {base:.4g})"
    sigma = math.hypot(_finite(base_err), _finite(new_err))
    if lower:
        limit = base * (1 + threshold) + n_sigma * sigma
        return new > limit, f"{new:.4g} > {limit:.4g} (base·(1+{threshold}) + {n_sigma}σ)"
    limit = base * (1 - threshold) - n_sigma * sigma
    return new < limit, f"{new:.4g} < {limit:.4g} (base·(1−{threshold}) − {n_sigma}σ)"


def compare_results(
    base: list[dict],
    new: list[dict],
    threshold: float = 0.25,
    n_sigma: float = 3.0,
    speed_threshold: float | None = None,
) -> CompareReport:
    """Compare result rows ``new`` against ``base`` (see the module docstring)."""
    limits = {"threshold": threshold, "n_sigma": n_sigma, "speed_threshold": speed_threshold}
    bad = {k: v for k, v in limits.items() if v is not None and not (math.isfinite(v) and v >= 0)}
    if bad:
        raise ValueError(
            "thresholds must be finite numbers >= 0, got "
            + ", ".join(f"{k}={v}" for k, v in bad.items())
        )
    base_summary = summarise(base).set_index(list(GROUP))
    new_summary = summarise(new).set_index(list(GROUP)) if new else None
    report = CompareReport()
    metrics = QUALITY + (SPEED,)
    for key, b in base_summary.iterrows():
        if b["n_seeds"] == 0:
            continue
        group = dict(zip(GROUP, key, strict=True))
        n = None if new_summary is None or key not in new_summary.index else new_summary.loc[key]
        if n is None or n["n_seeds"] == 0:
            reason = "missing in NEW" if n is None else f"failed in NEW ({n['status']})"
            report.entries.append(_failed_entry(group, reason))
            continue
        for metric, lower in metrics:
            if not np.isfinite(b[metric]):
                continue  # not measured in BASE
            speed = metric == SPEED[0]
            limit = speed_threshold if speed else threshold
            report.entries.append(
                _metric_entry(group, metric, lower, b, n, limit, 0.0 if speed else n_sigma)
            )
    return report


def _failed_entry(group: dict, reason: str) -> dict:
    """The regression entry of a group that succeeded in BASE but not in NEW."""
    return {
        **group,
        "metric": "status",
        "base": None,
        "new": None,
        "ratio": None,
        "regression": True,
        "reason": reason,
        "verdict": "",
    }


def _metric_entry(group: dict, metric: str, lower: bool, b, n, limit, sigma: float) -> dict:
    """The entry of ``metric`` of one group (BASE summary ``b``, NEW ``n``): judged against
    ``limit`` and ``sigma`` combined error bars (module docstring) unless ``limit`` is None."""
    judged = limit is not None
    bad, reason = False, ""
    if judged:
        bad, reason = _judge(
            b[metric],
            n[metric],
            b.get(f"{metric}_err"),
            n.get(f"{metric}_err"),
            lower,
            limit,
            sigma,
        )
    ratio = n[metric] / b[metric] if np.isfinite(b[metric]) and b[metric] else np.nan
    return {
        **group,
        "metric": metric,
        "base": float(b[metric]),
        "new": float(n[metric]),
        "ratio": float(ratio),
        "regression": bool(bad),
        "reason": reason if bad else "",
        "verdict": "ok" if judged else "not judged",
    }
