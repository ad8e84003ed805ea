"""``summary.md``: every figure of the check with the device, driver and library versions, and
what did not run and why — rendered from the steps' JSON files (:mod:`.record`), the same for
the GPU run and the CPU dry run, and rewritten after every measurement."""

from __future__ import annotations

from pathlib import Path

from leapsbench.atomic import atomic_write_text

from .plan import STEP_SECONDS, AUTHORS_SECONDS_PER_1000x100
from .record import STEPS, read_step

NONE = "—"


def _num(value, fmt: str = ".3g") -> str:
    return NONE if value is None else format(value, fmt)


def _pm(value, err, fmt: str = ".3f") -> str:
    """ "v ± e" (no "± 0": an error bar of None is left out)."""
    if value is None:
        return NONE
    return format(value, fmt) + ("" if not err else f" ± {format(err, fmt.lstrip('+'))}")


def _gib(value) -> str:
    return NONE if value is None else f"{value / 2**30:.2f} GiB"


def environment_lines(step: dict | None) -> list[str]:
    if step is None:
        return ["Environment: not recorded."]
    info = step.get("info", {})
    torch, cupy = info.get("torch", {}), info.get("cupy") or {}
    versions = ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items())
    return [
        f"- host: {info.get('host')} ({info.get('machine')})",
        f"- nvidia-smi (name, driver, memory): {info.get('nvidia_smi') or 'not available'}",
        f"- torch: {torch.get('torch')}, CUDA build {torch.get('torch_cuda_build')}, "
        f"device {torch.get('device') or 'none (' + str(torch.get('why')) + ')'}",
        f"- CuPy: {cupy.get('cupy', 'not checked')}, device {cupy.get('device', NONE)}, "
        f"runtime {cupy.get('cuda_runtime', NONE)}, driver {cupy.get('cuda_driver', NONE)}",
        f"- versions: {versions}",
    ]


def install_line(outdir) -> str:
    """What ``.ci/gpu`` installed (its install.log), or that it installed nothing."""
    try:
        log = (Path(outdir) / "install.log").read_text().splitlines()
    except OSError:
        return "- install: nothing installed (dry run, or --no-install)"
    done = [line for line in log if line.startswith("installed from")]
    return f"- install: {done[-1]}" if done else "- install: failed or cut short (install.log)"


def steps_table(steps: dict) -> list[str]:
    lines = ["| step | status | elapsed s | budget s | detail |", "|---|---|---|---|---|"]
    for name in STEPS:
        step = steps.get(name)
        if step is None:
            lines.append(f"| {name} | not run | {NONE} | {STEP_SECONDS.get(name, NONE)} | |")
            continue
        elapsed = _num(step.get("elapsed_seconds"), ".1f")
        budget = STEP_SECONDS.get(name, NONE)
        lines.append(
            f"| {name} | {step['status']} | {elapsed} | {budget} | {step.get('detail', '')} |"
        )
    return lines


def tests_lines(step: dict | None) -> list[str]:
    if step is None or not step["entries"]:
        return ["No test results."]
    result = step["entries"][-1]
    lines = [
        f"`{step.get('command')}` with LEAPSBENCH_REQUIRE_BACKENDS={step.get('require_backends')}:",
        f"{result['passed']} passed, {result['failed']} failed, {result['errors']} errors, "
        f"{result['skipped']} skipped (exit code {result['exit_code']}"
        f"{', interrupted by the time limit' if result.get('interrupted') else ''}).",
    ]
    lines += [f"- FAILED `{f['test']}`: {f['message']}" for f in result["failures"]]
    return lines


def parity_lines(step: dict | None) -> list[str]:
    if step is None or not step["entries"]:
        return ["No parity results."]
    lines = [
        "float32 network, float64 log weights, a wall-time budget per run (walkers: as many as "
        "it allowed); the rows are in parity-rows/ (`leapsbench table OUTDIR/parity-rows`).",
        "",
        "| backend | settings | walkers | ESS/n | ⟨\\|m\\|⟩ | log Ẑ − log Z | s per 1000 walkers "
        f"× 100 steps (authors: {AUTHORS_SECONDS_PER_1000x100} s) | CPU rows (numpy float32): "
        "walkers, ESS/n, ⟨\\|m\\|⟩, log Ẑ − log Z |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in step["entries"]:
        cpu = e.get("cpu")
        cpu_cells = NONE
        if cpu:
            cpu_cells = (
                f"{cpu['walkers']}, {_num(cpu['ess_fraction'])}, {_pm(cpu['mag'], cpu['mag_err'])}"
                f", {_pm(cpu['log_z_error'], cpu['log_z_err'], '+.2f')}"
            )
        where = f"{e['backend']} ({e['device']})"
        label = e["label"]
        if e["overrides"].get("n_steps") != e["settings"]["n_steps"]:
            label += f" (run at n_steps={e['overrides']['n_steps']})"
        if e["status"] != "ok":
            lines.append(f"| {where} | {label} | {e['status']}: {e['error']} | | | | | |")
            continue
        walkers = f"{e['walkers']}" + (
            f" (< {e['target_walkers']})" if e["walkers"] < e["target_walkers"] else ""
        )
        flag = f" (unreliable: {e['unreliable']})" if e.get("unreliable") else ""
        lines.append(
            f"| {where} | {label} | {walkers} | {_num(e['ess_fraction'])}{flag} | "
            f"{_pm(e['mag'], e['mag_err'])} | {_pm(e['log_z_error'], e['log_z_err'], '+.2f')} | "
            f"{_num(e['seconds_per_1000x100'])} ({_num(e['speedup_vs_authors'], '.2g')}× the "
            f"authors') | {cpu_cells} |"
        )
    return lines


def _sweep_lines(entries: list[dict]) -> list[str]:
    rows = [e for e in entries if str(e.get("what", "")).startswith("checkerboard")]
    lines = [
        "| backend | kernel | L | chains | s per sweep | flips/ps |",
        "|---|---|---|---|---|---|",
    ]
    for e in rows:
        chains = f"{e['chains']}" + (
            f" (memory cap; {e['chains_wanted']} wanted)"
            if e["chains"] < e["chains_wanted"]
            else ""
        )
        lines.append(
            f"| {e['backend']} ({e['device']}) | {e['what']} | {e['L']} | {chains} | "
            f"{_num(e['seconds_per_sweep'])} | {_num(e['flips_per_ps'])} |"
        )
    return lines + ["", "Anchor: 1.3–1.8 flips/ps for multi-spin-coded GPU Ising codes, one H100."]


def _other_line(e: dict) -> str | None:
    what = e.get("what", "")
    if what == "Swendsen-Wang":
        return (
            f"- Swendsen–Wang, {e['backend']} ({e['device']}), L = {e['L']}, {e['chains']} chains: "
            f"{_num(e['sweeps_per_second'])} sweeps/s ({_num(e['chain_sweeps_per_second'])} "
            "chain-sweeps/s)"
        )
    if what.startswith("LE-conv forward"):
        return (
            f"- {what}, {e['backend']} ({e['device']}) {e['dtype']}, L = {e['L']}, "
            f"{e['walkers']} walkers, blocks of {e['block_elements']} elements: "
            f"{_num(e['seconds_per_walker'])} s per walker-forward, "
            f"peak {_gib(e['peak_bytes_per_walker'])} per walker"
        )
    if what.startswith("LEAPS training"):
        return (
            f"- {what}, torch ({e['device']}), L = {e['L']} ({e['walkers']} walkers, {e['pairs']} "
            f"pairs, horizon {e['horizon']}): {_num(e['seconds_per_step'])} s per PINN step, "
            f"{_num(e['seconds_first_step'])} s for the first (buffer refresh, set-up), mean "
            f"{_num(e['mean_seconds_per_step'])} s per step; peak {_gib(e['peak_bytes'])}"
        )
    if what.startswith("run --suite paper"):
        return (
            f"- {what}: {_num(e['hours_leaps_conv'])} h for {e['benchmarks']} benchmarks "
            f"({_num(e['seconds_training_per_benchmark'])} s training + "
            f"{_num(e['seconds_sampling_per_benchmark'])} s sampling each); not costed: "
            f"{', '.join(e['methods_not_costed'])}"
        )
    return None


def throughput_lines(step: dict | None) -> list[str]:
    if step is None or not step["entries"]:
        return ["No throughput results."]
    others = [_other_line(e) for e in step["entries"]]
    return _sweep_lines(step["entries"]) + [""] + [line for line in others if line]


def not_run_lines(steps: dict) -> list[str]:
    """Everything that did not run, and why: missing or unfinished steps, and each step's
    own list of skipped parts."""
    lines = []
    for name in STEPS:
        step = steps.get(name)
        if step is None:
            lines.append(f"- step {name}: not run (not selected, or an earlier step stopped it)")
            continue
        if step["status"] not in ("ok", "failed"):
            lines.append(f"- step {name}: {step['status']} {step.get('detail', '')}".rstrip())
        lines += [f"- {name}: {s['what']}: {s['why']}" for s in step.get("not_run", [])]
    return lines or ["Everything ran."]


def render(outdir) -> str:
    steps = {name: read_step(outdir, name) for name in STEPS}
    steps = {k: v for k, v in steps.items() if v is not None}
    plan = next((s["plan"] for s in steps.values()), "unknown")
    started = min((s.get("started_at") or "" for s in steps.values()), default="")
    sections = [
        [f"# leapsbench device check ({plan}, started {started or NONE})"],
        ["## Environment", "", *environment_lines(steps.get("environment")), install_line(outdir)],
        ["## Steps", "", *steps_table(steps)],
        ["## 1. Tests", "", *tests_lines(steps.get("tests"))],
        [
            "## 2. Parity: the authors' Ising checkpoint, float32",
            "",
            *parity_lines(steps.get("parity")),
        ],
        ["## 3. Throughput", "", *throughput_lines(steps.get("throughput"))],
        ["## Not run", "", *not_run_lines(steps)],
    ]
    return "\n\n".join("\n".join(s) for s in sections) + "\n"


def write_summary(outdir) -> Path:
    """Render ``OUTDIR/summary.md`` from the step files; returns its path."""
    path = Path(outdir) / "summary.md"
    atomic_write_text(path, render(outdir))
    return path
