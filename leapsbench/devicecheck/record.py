"""The check's results on disk: ``OUTDIR/<step>.json`` per step, rewritten atomically after each
measurement (so a step killed by its time limit leaves what it had measured), and
``summary.md`` re-rendered from all of them each time.

A step file is ``{"step", "plan", "status", "elapsed_seconds", "entries": [...], "not_run":
[{"what", "why"}, ...], ...}``; ``status`` is "running" until the step ends ("ok", "failed",
or, written by ``.ci/gpu`` when the step's time limit killed it, "timed out").
"""

from __future__ import annotations

import json
import time
import traceback
from pathlib import Path

from leapsbench.atomic import atomic_write_text

STEPS = ("environment", "tests", "parity", "throughput")


def step_path(outdir, step: str) -> Path:
    return Path(outdir) / f"{step}.json"


def read_step(outdir, step: str) -> dict | None:
    """The step's JSON, or None when the step has not written any (or it is unreadable)."""
    path = step_path(outdir, step)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class StepRecord:
    """The JSON of one step, written on every change (module docstring)."""

    def __init__(self, outdir, step: str, plan: str):
        self.outdir, self.start = Path(outdir), time.perf_counter()
        self.data = {"step": step, "plan": plan, "status": "running", "entries": [], "not_run": []}
        self.data["started_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.write()

    def add(self, entry: dict) -> None:
        """Record one measurement and print it in one line."""
        self.data["entries"].append(entry)
        print(f"[{self.data['step']} {self.elapsed():6.1f} s] " + _one_line(entry), flush=True)
        self.write()

    def attempt(self, what: str, measure, **label) -> dict | None:
        """Record ``{**label, **measure()}``; a measurement that raises is recorded as not run,
        with its error (the traceback goes to the step's log), and the step goes on."""
        try:
            entry = {**label, **measure()}
        except Exception as err:  # one failing measurement must not lose the others
            traceback.print_exc()
            self.skip(what, f"{type(err).__name__}: {str(err)[:300]}")
            return None
        self.add(entry)
        return entry

    def skip(self, what: str, why: str) -> None:
        """Record something that did not run, and why."""
        self.data["not_run"].append({"what": what, "why": why})
        print(f"[{self.data['step']} {self.elapsed():6.1f} s] not run: {what}: {why}", flush=True)
        self.write()

    def set(self, **fields) -> None:
        self.data.update(fields)
        self.write()

    def finish(self, status: str = "ok") -> None:
        self.data["status"] = status
        print(f"[{self.data['step']}] {status} after {self.elapsed():.1f} s", flush=True)
        self.write()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def write(self) -> None:
        from .summary import write_summary

        self.data["elapsed_seconds"] = round(self.elapsed(), 2)
        text = json.dumps(self.data, indent=1, sort_keys=True, default=str, allow_nan=False)
        atomic_write_text(step_path(self.outdir, self.data["step"]), text + "\n")
        write_summary(self.outdir)


def mark_step(outdir, step: str, plan: str, status: str, detail: str) -> None:
    """Set a step's status from outside (``.ci/gpu`` after ``timeout`` killed it or it crashed):
    the entries it had written are kept."""
    from .summary import write_summary

    data = read_step(outdir, step) or {"step": step, "plan": plan, "entries": [], "not_run": []}
    data.update(status=status, detail=detail)
    text = json.dumps(data, indent=1, sort_keys=True, default=str, allow_nan=False)
    atomic_write_text(step_path(outdir, step), text + "\n")
    write_summary(outdir)


def _one_line(entry: dict) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in entry.items() if not isinstance(v, dict))


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
