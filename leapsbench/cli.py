"""The ``leapsbench`` command line: one sub-command per module in :mod:`leapsbench.commands`.

Each command module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``;
heavy libraries are imported inside ``run`` only.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

SIGPIPE_EXIT = 141
"""Exit status when stdout's reader went away (``| head``): 128 + SIGPIPE, as a shell reports."""

COMMANDS = (
    "run",
    "exact",
    "reference",
    "train",
    "table",
    "compare",
    "plot",
    "curve",
    "score",
    "rescore",
    "methods",
)


def _commands():
    for name in COMMANDS:
        yield name, importlib.import_module(f"leapsbench.commands.{name}")


def build_parser() -> argparse.ArgumentParser:
    from leapsbench import __version__

    parser = argparse.ArgumentParser(
        prog="leapsbench",
        description="Benchmark samplers (LEAPS, MCMC, AIS/SMC, VAN) on Ising and Potts lattices.",
    )
    parser.add_argument("--version", action="version", version=f"leapsbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in _commands():
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # a usage error (2) or --help/--version (0), already printed
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader closed the pipe: point stdout at devnull so that the interpreter's final
        # flush does not raise again (https://docs.python.org/3/library/signal.html#note-on-sigpipe).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return SIGPIPE_EXIT
    except (ValueError, RuntimeError, OSError) as err:  # OSError: a file that cannot be used
        print(f"leapsbench {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
