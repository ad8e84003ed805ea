"""``python -m leapsbench.devicecheck STEP OUTDIR [--cpu-dry-run] [--checkpoint PATH]``: one
step of the device check (:mod:`leapsbench.devicecheck`); ``.ci/gpu`` calls it per step, each
under its own time limit.  ``mark`` records a step's status from outside (a time limit)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .plan import plan_for
from .record import STEPS as STEP_FILES

STEPS = ("environment", "tests", "parity", "throughput", "summary", "mark")
DEFAULT_CHECKPOINT = Path("../shared/leaps-authors/ising_final.ckpt")


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m leapsbench.devicecheck", description=__doc__)
    parser.add_argument("step", choices=STEPS)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--cpu-dry-run", action="store_true", help="tiny sizes on torch-CPU, numpy")
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    parser.add_argument("--mark-step", help="(mark) the step whose status to set")
    parser.add_argument("--status", default="timed out", help="(mark) the status")
    parser.add_argument("--detail", default="", help="(mark) why")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    if args.step == "mark" and args.mark_step not in STEP_FILES:
        print(f"mark needs --mark-step, one of {', '.join(STEP_FILES)}", file=sys.stderr)
        return 2
    plan = plan_for(args.cpu_dry_run)
    args.outdir.mkdir(parents=True, exist_ok=True)
    if args.step == "environment":
        from .steps import run_environment

        try:
            run_environment(plan, args.outdir)
        except RuntimeError as err:
            print(f"device check: {err}", file=sys.stderr)
            return 3
    elif args.step == "tests":
        from .suite import run_tests

        run_tests(plan, args.outdir)
    elif args.step == "parity":
        from .parity import run_parity

        run_parity(plan, args.outdir, args.checkpoint)
    elif args.step == "throughput":
        from .steps import run_throughput

        run_throughput(plan, args.outdir)
    elif args.step == "mark":
        from .record import mark_step

        mark_step(args.outdir, args.mark_step, plan.name, args.status, args.detail)
    else:
        from .summary import write_summary

        print(write_summary(args.outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
