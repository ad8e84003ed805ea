"""Write results/reference/spin-glass.md: every instance of the ``spin-glass`` suite with its
couplings' content hash and its reference (exact Pfaffian for the 2D lattices, the shipped
parallel-tempering reference for the cube and the random graph), as ``leapsbench run`` finds it.

    python results/reference/spin_glass_table.py > results/reference/spin-glass.md
"""

from __future__ import annotations

from leapsbench.harness.benchmarks import parse_benchmark, suite_benchmarks
from leapsbench.harness.reference_lookup import find_reference, packaged_reference


def _value(value, error) -> str:
    if value is None:
        return "—"
    return f"{value:.10g}" if not error else f"{value:.6f} ± {error:.2g}"


def main() -> None:
    print("# References of the `spin-glass` suite\n")
    print("Written by `python results/reference/spin_glass_table.py` (see its docstring).  2D")
    print("instances: exact (`leapsbench.exact.ea`, Pfaffians; rounding error below 1e-9")
    print("relative, or no reference is given); the cube and the random graph: the shipped")
    print("parallel-tempering references (`leapsbench/references/`, pooled runs).\n")
    print("| benchmark | sites | couplings hash | source | ⟨e⟩ | log Z | ⟨q²⟩ |")
    print("|---|---|---|---|---|---|---|")
    for name in suite_benchmarks("spin-glass"):
        model = parse_benchmark(name).model
        ref = find_reference(name, model)
        stored = packaged_reference(name)
        q2 = stored.get("overlap_q2", {})
        source = ref.source
        if stored:
            source = f"parallel tempering, {len(stored['runs'])} pooled runs"
        print(
            f"| `{name}` | {model.n_sites} | `{model.config()['couplings_hash']}` | "
            f"{source} | {_value(ref.energy, ref.energy_err)} | "
            f"{_value(ref.log_z, ref.log_z_err)} | {_value(q2.get('value'), q2.get('error'))} |"
        )


if __name__ == "__main__":
    main()
