#!/usr/bin/env bash
# Fixed-seed rows of every method family that uses the MCMC kernels and the SMC engine (issue
# #27's proof that a refactor moved nothing).  Not run by CI (a few minutes on one core).
# Usage: tools/refactor_rows.sh OUT_DIR      then   python tools/refactor_rows_diff.py A B
set -euo pipefail
cd "$(dirname "$0")/.."
out="$1"
mkdir -p "$out"
export OMP_NUM_THREADS=1
cache=results/ci-baseline/leaps-checkpoints
benches=(--benchmark ising-L4-b0.4407 --benchmark potts-q3-L3-b1.0)
run() {  # run NAME ARGS...
    local name="$1"
    shift
    leapsbench run "${benches[@]}" "${seeds[@]}" --no-progress --format json \
        --results "$out/store-$name" "$@" >"$out/$name.json" || true  # error rows compare too
}
# The committed checkpoints were trained for seed 0 and the default shared keys (rate_floor,
# schedule, mcmc_rule), so LEAPS rows use seed 0 and vary only sampling keys.
for backend in numpy torch; do
    seeds=(--seed 0 --seed 1)
    b=(--backend "$backend")
    run "mcmc-$backend" "${b[@]}" --method metropolis --method heatbath --method swendsen-wang \
        --method wolff --n-samples 1600 --set n_chains=4
    run "ais-$backend" "${b[@]}" --method ais --method smc --n-samples 200 --set n_steps=20
    run "smc-multi-$backend" "${b[@]}" --method smc --n-samples 200 --set n_steps=20 \
        --set resampling=multinomial --set threshold=0.9 --set n_sweeps=2 --set rule=heatbath
    run "ais-adaptive-$backend" "${b[@]}" --method ais --n-samples 100 --set n_steps=20 \
        --set adaptive_cess=0.9
    seeds=(--seed 0)
    l=("${b[@]}" --method leaps-mlp --method leaps-conv --cache "$cache" --no-train --n-samples 200)
    run "leaps-$backend" "${l[@]}"
    run "leaps-euler-$backend" "${l[@]}" --set weights=euler
    run "leaps-smc-$backend" "${l[@]}" --set resample_threshold=0.5 --set n_islands=10
    run "leaps-refine-$backend" "${l[@]}" --set resample_threshold=0.9 --set n_islands=5 \
        --set mcmc_sweeps=1
    run "leaps-chunks-$backend" "${l[@]}" --set mcmc_sweeps=2 --set chunk_walkers=50 \
        --set sites=checkerboard
done
# the CI quality suite's LEAPS lines (results/ci-baseline/suite.args), as they are
seeds=(--seed 0)
benches=(--suite quick)
run suite-leaps --method leaps-conv --method leaps-mlp --cache "$cache" --no-train
run suite-leaps-smc --method leaps-conv --method leaps-mlp --cache "$cache" --no-train \
    --set resample_threshold=0.5 --set n_islands=10
run suite-annealing --method ais --method smc --method swendsen-wang
