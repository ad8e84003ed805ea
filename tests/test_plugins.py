"""Plug-in methods (issue 26, part 3): the example package installed through its entry point,
``--method module:callable``, the errors that name the plug-in, ``leapsbench methods`` and the
example's score-file script.

Statistical checks use the row's own error bars (5 σ) against exact enumeration, fixed seeds.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leapsbench.cli import main
from leapsbench.harness import methods, plugins
from leapsbench.harness.benchmarks import get_benchmark
from leapsbench.harness.plugin_adapter import PluginMethod
from leapsbench.harness.store import load_rows

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "external-sampler"
DIST, VERSION = "leapsbench-external-sampler", "0.1.0"
BENCH = "ising-L3-b0.4"


def _clear_discovery():
    plugins.entry_point_plugins.cache_clear()
    plugins.spec_plugin.cache_clear()


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """(a copy of the example's source, the example pip-installed into a target folder):
    no dependencies, no build isolation, no index, so it works offline."""
    root = tmp_path_factory.mktemp("plugin")
    ignore = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    source = shutil.copytree(EXAMPLE, root / "src", ignore=ignore)
    target = root / "target"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    pip += ["--no-index", "--target", str(target), str(source)]
    done = subprocess.run(pip, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return source, target


@pytest.fixture
def installed(example, monkeypatch):
    """The installed example on this process's ``sys.path``, discovery re-read."""
    monkeypatch.syspath_prepend(str(example[1]))
    _clear_discovery()
    yield example[1]
    _clear_discovery()


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    """A current directory with plug-in modules (``module:callable`` specs) and a fake
    distribution ``clashing`` whose entry points clash with a built-in or do not import."""
    monkeypatch.setattr(sys, "path", list(sys.path))  # load_factory may append the cwd
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plug_methods.py").write_text(PLUG_METHODS)
    dist = tmp_path / "site" / "clashing-1.0.dist-info"
    dist.mkdir(parents=True)
    for folder in (tmp_path, tmp_path / "site"):
        (folder / "plug_broken.py").write_text("raise ImportError('this plug-in needs jax')\n")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: clashing\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[leapsbench.methods]\nmetropolis = plug_methods:make\nbroken-ep = plug_broken:make\n"
    )
    yield tmp_path
    _clear_discovery()


PLUG_METHODS = textwrap.dedent(
    '''
    """Test plug-ins: uniform importance sampling (log w = -beta H), only ``sample`` defined."""
    import time

    from leapsbench.samples import Samples


    class Uniform:
        def __init__(self, overrides):
            self.overrides = overrides

        def sample(self, model, backend, rng, budget, progress=None):
            if "sleep" in self.overrides:
                time.sleep(self.overrides["sleep"])  # ignores budget.sample_seconds
            if "bad" in self.overrides:
                return {"m": [0.5]}
            n = budget.n_samples or 4000
            x = model.uniform_states(backend, rng, n)
            energy = backend.to_numpy(model.energy(x))
            m = backend.to_numpy(model.magnetization(x))
            return Samples({"m": m, "E": energy}, log_weights=-model.beta * energy,
                           n_evaluations=n)


    def make(name, preset, overrides):
        return Uniform(overrides)


    def make_raises(name, preset, overrides):
        raise ValueError("no such key: " + ", ".join(overrides))


    def make_number(name, preset, overrides):
        return 42
    '''
)


def _run(tmp_path, *extra) -> int:
    results, cache = str(tmp_path / "runs"), str(tmp_path / "cache")
    return main(["run", "--results", results, "--cache", cache, "--no-progress", *extra])


def _rows(out: str) -> list[dict]:
    rows = json.loads(out)
    return rows if isinstance(rows, list) else [rows]


def assert_matches_enumeration(row):
    """ΔMag and the log-Z error within 5 σ (the row's own error bars), an honest ESS."""
    assert row["status"] == "ok", row["error"]
    assert row["mag_ref"] is not None and row["log_z_ref"] is not None
    assert row["delta_mag"] <= 5 * row["mag_err"], row
    assert row["log_z_error"] <= 5 * row["log_z_err"], row
    assert 10 <= row["ess"] <= row["n_samples"] and row["unreliable"] is None


def test_entry_point_plugin_runs_from_another_folder_with_jobs(example, tmp_path):
    """``leapsbench run`` in a fresh process, the plug-in found by its entry point only."""
    path = [str(example[1]), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    command = [sys.executable, "-m", "leapsbench", "run", "--method", "external-mixture"]
    command += ["--benchmark", BENCH, "--benchmark", "potts-q3-L3-b1.0", "--jobs", "2"]
    command += ["--no-progress", "--format", "json", "--results", "runs", "--cache", "cache"]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = _rows(done.stdout)
    assert [r["benchmark"] for r in rows] == [BENCH, "potts-q3-L3-b1.0"]
    for row in rows:
        assert_matches_enumeration(row)
        assert (row["source"], row["plugin_distribution"]) == ("plugin", DIST)
        assert row["plugin_version"] == VERSION and row["method"] == "external-mixture"
        assert json.loads(row["config"])["align"] == 0.9
    stored = load_rows(tmp_path / "runs" / "results.csv")
    assert {r["plugin_distribution"] for r in stored} == {DIST}


def test_trained_plugin_is_cached_and_runs_in_a_named_suite(installed, tmp_path, capsys):
    """A plug-in defining fit/save/load trains once; the suite runs it when named."""
    args = ["--suite", "quick", "--method", "external-tuned", "--format", "json"]
    assert _run(tmp_path, *args) == 0
    first = _rows(capsys.readouterr().out)
    assert _run(tmp_path, *args, "--n-samples", "3000", "--backend", "torch") == 0
    second = _rows(capsys.readouterr().out)
    assert [r["checkpoint_reused"] for r in first + second] == [False, False, True, True]
    assert main(["table", str(tmp_path / "runs"), "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert set(table["method"]) == {"external-tuned"}
    assert table["train_seconds"].notna().all()  # it trained, without a param_count
    for before, after in zip(first, second, strict=True):
        assert json.loads(after["fit_info"]) == json.loads(before["fit_info"])
        assert json.loads(after["config"])["align"] == json.loads(before["config"])["align"]
        assert after["n_samples"] == 3000 and after["backend"] == "torch"
        for row in (before, after):
            assert_matches_enumeration(row)
            assert row["n_train_evaluations"] is None  # the plug-in does not count them


def test_plugin_honours_time_budget(installed, tmp_path, capsys):
    args = ["--benchmark", BENCH, "--method", "external-mixture", "--seconds", "0.5"]
    assert _run(tmp_path, *args, "--format", "json") == 0
    (row,) = _rows(capsys.readouterr().out)
    assert_matches_enumeration(row)
    assert 0.4 < row["sample_seconds"] < 1.5 and row["budget_seconds"] == 0.5


def test_methods_lists_builtins_and_plugins(installed, capsys):
    assert main(["methods", "--format", "json", "--check"]) == 0
    records = {r["method"]: r for r in json.loads(capsys.readouterr().out)}
    assert records["metropolis"] == {
        "method": "metropolis",
        "in_suites": True,
        "kind": "builtin",
        "family": "leapsbench.baselines.mcmc_method",
    }
    tuned = records["external-tuned"]
    assert tuned["entry_point"] == "external-tuned = external_sampler.sampler:make"
    assert (tuned["distribution"], tuned["version"], tuned["in_suites"]) == (DIST, VERSION, False)
    assert tuned["identity"] == f"{DIST}=={VERSION}"
    assert methods.method_origin("external-tuned") == {
        k: v for k, v in tuned.items() if k not in ("method", "in_suites")
    }
    assert main(["methods"]) == 0
    assert f"{DIST} {VERSION}" in capsys.readouterr().out


def test_module_callable_plugin_gets_overrides_on_every_backend(plugin_dir, capsys):
    """``--method module:callable`` from the current directory; ``--set`` values reach make
    parsed as JSON (numbers, booleans) or else as strings, and are the row's config."""
    args = ["--benchmark", BENCH, "--method", "plug_methods:make", "--format", "json"]
    args += ["--backend", "numpy", "--backend", "torch", "--backend", "array-api-strict"]
    args += ["--set", "k=3", "--set", "flag=true", "--set", "label=abc"]
    assert _run(plugin_dir, *args) == 0
    rows = _rows(capsys.readouterr().out)
    assert len(rows) == 3
    for row in rows:
        assert_matches_enumeration(row)
        assert json.loads(row["config"]) == {"k": 3, "flag": True, "label": "abc"}
        assert (row["method"], row["source"]) == ("plug_methods:make", "plugin")
        assert row["plugin_distribution"] is None and row["checkpoint_reused"] is False
    origin = methods.method_origin("plug_methods:make")
    assert origin["kind"] == "plugin" and origin["entry_point"] is None
    assert origin["identity"] == "plug_methods:make"


def test_plugin_ignoring_the_time_budget_is_flagged(plugin_dir, capsys):
    args = ["--benchmark", BENCH, "--method", "plug_methods:make", "--set", "sleep=2.4"]
    assert _run(plugin_dir, *args, "--seconds", "0.2", "--format", "json") == 0
    (row,) = _rows(capsys.readouterr().out)
    assert row["status"] == "ok" and row["unreliable"].startswith("over budget: ")


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ("plug_broken:make", "cannot import plug_broken:make: ImportError: this plug-in needs jax"),
        ("plug_methods:nope", "cannot import plug_methods:nope: AttributeError"),
        ("plug_methods:make_raises", "raised ValueError: no such key: k"),
        ("plug_methods:make_number", "make returned int 42, which has no method sample"),
        ("not_a_module:make", "ModuleNotFoundError: No module named 'not_a_module'"),
    ],
)
def test_plugin_that_cannot_be_built_is_a_clean_usage_error(plugin_dir, capsys, method, message):
    args = ["--benchmark", BENCH, "--method", method, "--set", "k=1"]
    assert _run(plugin_dir, *args) == 2
    err = capsys.readouterr().err
    assert f"plug-in method '{method}' (given as --method module:callable)" in err
    assert message in err
    assert not (plugin_dir / "runs" / "rows").exists() or not any(
        (plugin_dir / "runs" / "rows").iterdir()
    )


def test_sample_returning_no_samples_is_an_error_row(plugin_dir, capsys):
    args = ["--benchmark", BENCH, "--method", "plug_methods:make", "--set", "bad=1"]
    assert _run(plugin_dir, *args, "--format", "json") == 1
    (row,) = _rows(capsys.readouterr().out)
    assert row["status"] == "error" and row["source"] == "plugin"
    assert "sample returned dict, expected leapsbench.samples.Samples" in row["error"]
    assert "plug-in method 'plug_methods:make'" in row["error"]


def test_entry_points_that_clash_or_fail_name_entry_point_and_distribution(
    plugin_dir, monkeypatch, capsys
):
    monkeypatch.syspath_prepend(str(plugin_dir / "site"))
    _clear_discovery()
    assert _run(plugin_dir, "--benchmark", BENCH, "--method", "metropolis") == 2
    err = capsys.readouterr().err
    assert "entry point 'metropolis = plug_methods:make' in group leapsbench.methods" in err
    assert "of distribution clashing 1.0) clashes with the built-in method 'metropolis'" in err
    assert _run(plugin_dir, "--benchmark", BENCH, "--method", "broken-ep") == 2
    err = capsys.readouterr().err
    assert (
        "'broken-ep = plug_broken:make' in group leapsbench.methods of distribution clashing" in err
    )
    assert "ImportError: this plug-in needs jax" in err
    assert main(["methods", "--format", "json", "--check"]) == 1
    records = {r["method"]: r for r in json.loads(capsys.readouterr().out)}
    assert records["metropolis"]["kind"] == "error" and records["broken-ep"]["kind"] == "error"
    assert records["heatbath"]["kind"] == "builtin"


def _score_script(source: Path, monkeypatch):
    """The example's write_score_file.py as a module (its folder on ``sys.path``)."""
    monkeypatch.syspath_prepend(str(source))
    spec = importlib.util.spec_from_file_location(
        "write_score_file", source / "write_score_file.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("kind", "weights"), list(itertools.product(("ising", "potts"), ("log_q", "log_weights")))
)
def test_score_file_from_plain_numpy_is_scored_against_enumeration(
    example, tmp_path, monkeypatch, capsys, kind, weights
):
    """The script's file: x (B, L, L) int8 in the model's values and one float64 (B,) weight
    array (log_q the proposal's exact log-probability, log_weights −βH − log q − N log q with
    leapsbench's own energy); ``leapsbench score`` then matches enumeration."""
    script = _score_script(example[0], monkeypatch)
    from external_sampler.proposal import log_proposal

    out, n = tmp_path / "samples.npz", 4000
    beta, name = (0.3, "ising-L3-b0.3") if kind == "ising" else (1.0, "potts-q3-L3-b1.0")
    args = ["--model", kind, "--side", "3", "--beta", str(beta), "--n", str(n), "--out", str(out)]
    script.main([*args, "--weights", weights])
    with np.load(out) as data:
        arrays = dict(data)
    assert set(arrays) == {"x", weights}
    x, values = arrays["x"], arrays[weights]
    assert x.shape == (n, 3, 3) and x.dtype == np.int8
    assert values.shape == (n,) and values.dtype == np.float64 and np.isfinite(values).all()
    model = get_benchmark(name).model
    assert set(np.unique(x)) <= ({-1, 1} if kind == "ising" else {0, 1, 2})
    log_q = log_proposal(model.to_values(x).reshape(n, -1), model.q, 0.9, 0.5)
    expected = log_q if weights == "log_q" else -beta * model.energy(x) - log_q - model.log_z0
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    capsys.readouterr()
    score = ["score", "--benchmark", name, "--samples", str(out), "--format", "json"]
    assert main([*score, "--results", str(tmp_path / "runs")]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["source"] == "external" and row["method"] == "samples"
    assert_matches_enumeration(row)


@pytest.mark.parametrize("q", [2, 3])
def test_example_proposal_log_probability_is_normalised(example, monkeypatch, q):
    monkeypatch.syspath_prepend(str(example[0]))
    from external_sampler.proposal import log_proposal, propose

    states = np.array(list(itertools.product(range(q), repeat=8 if q == 2 else 6)), np.int8)
    total = np.exp(log_proposal(states, q, 0.8, 0.3)).sum()
    assert total == pytest.approx(1.0, rel=1e-12)
    draws = propose(np.random.default_rng(0), q, states.shape[1], 10, 0.8, 0.3)
    assert draws.dtype == np.int8 and draws.min() >= 0 and draws.max() < q


def test_dask_workers_rebuild_a_plugin_from_its_spec(plugin_dir, capsys):
    """Specs carry the plug-in's name, never the object: each Dask worker imports it."""
    args = ["--benchmark", BENCH, "--method", "plug_methods:make", "--seed", "0", "--seed", "1"]
    assert _run(plugin_dir, *args, "--executor", "dask", "--jobs", "2", "--format", "json") == 0
    rows = _rows(capsys.readouterr().out)
    assert [r["seed"] for r in rows] == [0, 1]
    for row in rows:
        assert_matches_enumeration(row)
        assert row["source"] == "plugin"


class _Inner:
    """A plug-in object with a ``config`` method and a ``fit`` returning a list."""

    def config(self):
        return {"a": 1}

    def sample(self, model, backend, rng, budget, progress=None):
        return None

    def fit(self, model, backend, rng, budget, progress=None):
        return [1]


def test_adapter_supplies_and_checks_what_a_plugin_defines():
    plugin = plugins.Plugin("p", "m:f", "p = m:f", "dist", "2.0")
    method = PluginMethod(_Inner(), plugin, "quick", {"b": 2})
    assert method.config == {"a": 1} and not method.trains and method.param_count is None
    assert method.training_config == {"a": 1, "plugin": "dist==2.0"}
    with pytest.raises(plugins.PluginError, match="fit returned list, expected a dict"):
        method.fit(None, None, None, None)
    with pytest.raises(plugins.PluginError, match="sample returned NoneType"):
        method.sample(None, None, None, None)
    inner = _Inner()
    inner.trains, inner.config = True, ["not", "a", "dict"]
    with pytest.raises(plugins.PluginError, match="trains but does not define save, load"):
        PluginMethod(inner, plugin, "quick", {})
    inner.trains = False
    with pytest.raises(plugins.PluginError, match="config is a list, not a dict"):
        _ = PluginMethod(inner, plugin, "quick", {}).config
