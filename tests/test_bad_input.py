"""Bad input on the command line: a non-zero exit, no traceback, a message naming the bad value
and what is allowed — and nothing written (no result row, no reference) before the refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leapsbench.cli import main
from leapsbench.harness.rows import ROW_KEYS

RUN = ["run", "--benchmark", "ising-L4-b0.4", "--method", "metropolis", "--no-progress"]
RUN += ["--results", "{tmp}/runs", "--cache", "{tmp}/cache"]
EXACT = ["exact", "ising", "--size", "4", "--beta", "0.4"]
REF = ["reference", "ising-L4-b0.4", "--out", "{tmp}/ref"]
TRAIN = ["train", "--benchmark", "ising-L4-b0.4", "--cache", "{tmp}/cache"]
FINITE, NON_NEGATIVE, POSITIVE = "a finite number", "a finite number >= 0", "a finite number > 0"

CASES = [
    # (argv, the bad value as the message names it, what is allowed)
    (["compare", "{store}", "{store}", "--threshold", "nan"], "'nan'", NON_NEGATIVE),
    (["compare", "{store}", "{store}", "--threshold", "inf"], "'inf'", NON_NEGATIVE),
    (["compare", "{store}", "{store}", "--threshold", "-0.1"], "'-0.1'", NON_NEGATIVE),
    (["compare", "{store}", "{store}", "--threshold", "abc"], "'abc'", NON_NEGATIVE),
    (["compare", "{store}", "{store}", "--n-sigma", "nan"], "'nan'", NON_NEGATIVE),
    (["compare", "{store}", "{store}", "--n-sigma=-inf"], "'-inf'", NON_NEGATIVE),
    (["compare", "{store}", "{store}", "--speed-threshold", "NaN"], "'NaN'", NON_NEGATIVE),
    (["compare", "{tmp}/nothing", "{store}"], "nothing", "expected a results directory"),
    (["compare", "{notrows}", "{store}"], "notrows.json", "run_key, benchmark, method"),
    ([*RUN, "--seed", "1.5"], "'1.5'", "an integer >= 0"),
    ([*RUN, "--seed", "-1"], "'-1'", "an integer >= 0"),
    ([*RUN, "--seed", "abc"], "'abc'", "an integer >= 0"),
    ([*RUN, "--n-samples", "0"], "'0'", "an integer >= 1"),
    ([*RUN, "--n-samples", "2.5"], "'2.5'", "an integer >= 1"),
    ([*RUN, "--n-samples", "nan"], "'nan'", "an integer >= 1"),
    ([*RUN, "--train-steps", "1e3"], "'1e3'", "an integer >= 1"),
    ([*RUN, "--train-seconds", "nan"], "'nan'", POSITIVE),
    ([*RUN, "--train-seconds", "inf"], "'inf'", POSITIVE),
    ([*RUN, "--train-seconds", "-1"], "'-1'", POSITIVE),
    ([*RUN, "--jobs", "0"], "'0'", "an integer >= 1"),
    ([*RUN, "--dtype", "float16"], "'float16'", "float32"),
    ([*RUN, "--method", "nosuch"], "'nosuch'", "choose from"),
    ([*RUN, "--backend", "nosuch"], "'nosuch'", "choose from"),
    ([*RUN, "--set", "n_chains"], "'n_chains'", "KEY=VALUE"),
    ([*RUN, "--set", "nosuchkey=1"], "nosuchkey", "valid keys"),
    ([*RUN, "--preset", "slow"], "'slow'", "quick"),
    ([*RUN, "--benchmark", "ising-L4-bnan"], "ising-L4-bnan", "expected {ising|potts-q<q>}"),
    ([*RUN, "--benchmark", "ising-L100000-b0.4"], "100000", "at most 4096"),
    ([*RUN, "--benchmark", "ising-L4-b-0.3"], "-0.3", "beta must be >= 0"),
    ([*RUN, "--benchmark", "potts-q200-L4-b1"], "200", "2 <= q <= 127"),
    ([*RUN, "--benchmark", "ising-L1-b0.4"], "got 1", "integer >= 2"),
    ([*RUN, "--results", "{file}"], "{file}", "not a directory"),
    ([*RUN, "--cache", "{file}/sub"], "{file}", "not a directory"),
    (["run", "--suite", "nosuch"], "'nosuch'", "choose from"),
    (["exact", "ising", "--size", "100000", "--beta", "0.4"], "100000", "at most 4096"),
    (["exact", "ising", "--size", "4y4", "--beta", "0.4"], "'4y4'", "24x16"),
    (["exact", "ising", "--size", "1x5", "--beta", "0.4"], "got 1", "integer >= 2"),
    (["exact", "ising", "--size", "4", "--beta", "nan"], "'nan'", NON_NEGATIVE),
    (["exact", "ising", "--size", "4", "--beta", "inf"], "'inf'", NON_NEGATIVE),
    (["exact", "ising", "--size", "4", "--beta", "-1"], "'-1'", NON_NEGATIVE),
    ([*EXACT, "--J", "nan"], "'nan'", FINITE),
    ([*EXACT, "--h", "inf"], "'inf'", FINITE),
    ([*EXACT, "--max-states", "1000000000000"], "1,000,000,000,000", "16,777,216"),
    ([*EXACT, "--max-states", "0"], "'0'", "an integer >= 1"),
    ([*EXACT, "--q", "3"], "--q 3", "potts only"),
    (["exact", "potts", "--size", "3", "--beta", "1", "--q", "1"], "'1'", "an integer >= 2"),
    (["exact", "potts", "--size", "3", "--beta", "1", "--q", "2.5"], "'2.5'", "an integer >= 2"),
    ([*REF, "--seconds", "inf"], "'inf'", POSITIVE),
    ([*REF, "--seconds", "nan"], "'nan'", POSITIVE),
    ([*REF, "--seconds", "0"], "'0'", POSITIVE),
    ([*REF, "--seconds", "-5"], "'-5'", POSITIVE),
    ([*REF, "--chains", "1"], "'1'", "an integer >= 2"),
    ([*REF, "--chains", "2.5"], "'2.5'", "an integer >= 2"),
    ([*REF, "--d-beta", "0"], "'0'", POSITIVE),
    ([*REF, "--d-beta", "nan"], "'nan'", POSITIVE),
    ([*REF, "--sweeps", "1"], "'1'", "an integer >= 2"),
    ([*REF, "--ti-sweeps", "0"], "'0'", "N >= 1"),
    ([*REF, "--ti-sweeps", "10,x"], "'10,x'", "N >= 1"),
    ([*REF, "--seed", "-3"], "'-3'", "an integer >= 0"),
    ([*REF, "--part", "mag"], "ising-L4-b0.4.json", "--part all"),
    ([*REF, "--part", "both"], "'both'", "choose from"),
    (["reference", "potts-q3-L4-b1.0", "--d-beta", "1e-7", "--out", "{tmp}"], "1e-07", "1025"),
    (["reference", "potts-q3-L4-b1", "--ti-sweeps", "5,5", "--out", "{tmp}"], "2 counts", "41"),
    ([*TRAIN, "--steps", "0"], "'0'", "an integer >= 1"),
    ([*TRAIN, "--seconds", "nan"], "'nan'", POSITIVE),
    ([*TRAIN, "--seconds", "-1"], "'-1'", POSITIVE),
    ([*TRAIN, "--seed", "x"], "'x'", "an integer >= 0"),
    ([*TRAIN, "--method", "metropolis"], "'metropolis'", "leaps-conv"),
    ([*TRAIN, "--out", "{file}/sub"], "{file}", "not a directory"),
    ([*TRAIN, "--cache", "{file}"], "{file}", "not a directory"),
    ([*RUN, "--backend", "torch", "--device", "nosuch"], "nosuch", "cpu"),
    (["table", "{tmp}/nothing"], "nothing", "expected a results directory"),
    (["table", "{notrows}"], "notrows.json", "run_key, benchmark, method"),
    (["table", "{garbage}"], "garbage.json", "as JSON"),
    (["table", "{othercsv}"], "other.csv", "run_key, benchmark, method"),
    (["table", "{store}", "--format", "html"], "'html'", "markdown"),
    (["table", "{store}", "--benchmark", "ising-4"], "ising-4", "expected {ising|potts-q<q>}"),
    (["plot", "{tmp}/nothing"], "nothing", "expected a results directory"),
]


def _row(**values) -> dict:
    row = dict.fromkeys(ROW_KEYS)
    row.update(run_key="k", benchmark="ising-L4-b0.4", method="metropolis", seed=0, status="ok")
    row.update(preset="quick", backend="numpy", device="cpu", dtype="float64", **values)
    return row


@pytest.fixture
def places(tmp_path) -> dict:
    """The {names} of :data:`CASES`: a store of one row, files that are not stores."""
    (tmp_path / "store.json").write_text(json.dumps([_row(delta_mag=0.1, mag_err=0.01)]))
    (tmp_path / "notrows.json").write_text(json.dumps({"mag": {"value": 0.5}}))
    (tmp_path / "garbage.json").write_text("this is not JSON")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    (tmp_path / "afile").write_text("")
    return {
        "tmp": str(tmp_path),
        "store": str(tmp_path / "store.json"),
        "notrows": str(tmp_path / "notrows.json"),
        "garbage": str(tmp_path / "garbage.json"),
        "othercsv": str(tmp_path / "other.csv"),
        "file": str(tmp_path / "afile"),
    }


def test_at_least_fifty_bad_inputs():
    assert len(CASES) >= 50


@pytest.mark.parametrize(("argv", "bad", "allowed"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_is_a_clear_error(argv, bad, allowed, places, capsys):
    argv = [arg.format(**places) for arg in argv]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code != 0
    assert "Traceback" not in out + err
    message = err.strip().splitlines()[-1]
    assert bad.format(**places) in message, message
    assert allowed in message, message
    assert not list(Path(places["tmp"]).glob("runs/rows/*"))  # no row from a usage error


def _typed_options():
    import argparse

    from leapsbench.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in commands.choices.items():
        for action in command._actions:
            if action.type is not None:
                yield f"{name} {action.option_strings or action.dest}", action.type


TYPED = list(_typed_options())


@pytest.mark.parametrize(("option", "parse"), TYPED, ids=[option for option, _ in TYPED])
def test_every_typed_option_refuses_nan_and_infinity(option, parse):
    """No bare int/float parser anywhere: NaN, infinity and 2.7 for a count are refused."""
    import argparse

    assert parse not in (int, float), option
    for text in ("nan", "inf", "-inf"):
        with pytest.raises((argparse.ArgumentTypeError, ValueError)):
            parse(text)
