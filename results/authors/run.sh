#!/usr/bin/env bash
# The measurements of results/authors/ (see COMMAND.txt), in order of priority; resumable: a
# finished run is skipped on a rerun.  Run from the repository root:
#   nice -n 10 bash results/authors/run.sh [SESSION...]   (default: all sessions, in order)
# The checkpoints are not shipped: download them from github.com/malbergo/leaps (ckpts/) and set
# LEAPS_CKPTS to their folder (default ../shared/leaps-authors).
set -uo pipefail
export OMP_NUM_THREADS=1
CKPTS="${LEAPS_CKPTS:-../shared/leaps-authors}"
OUT=results/authors/runs
ising() {  # seed walkers --set ...
    local seed=$1 n=$2; shift 2
    leapsbench run --benchmark ising-L15-b0.4407 --method leaps-conv \
        --checkpoint "$CKPTS/ising_final.ckpt" --backend "${BACKEND:-numpy}" --dtype float32 \
        --seed "$seed" \
        --n-samples "$n" --results "$OUT" --no-progress --format csv "$@"
}
potts() {
    local seed=$1 n=$2; shift 2
    leapsbench run --benchmark potts-q3-L15-b1.001 --method leaps-conv \
        --checkpoint "$CKPTS/potts_final.ckpt" --backend "${BACKEND:-numpy}" --dtype float32 \
        --seed "$seed" \
        --n-samples "$n" --results "$OUT" --no-progress --format csv "$@"
}
EULER=(--set n_steps=100 --set weights=euler --set rate_floor=0)   # the authors' settings
EXACT=(--set n_steps=100 --set weights=exact --set rate_floor=0.001)
session1() {
    # 64 walkers per run: on this shared 2-core machine under nice a run gets ~5-10 % of a core.
    # More walkers = more seeds of the same run (the table pools seeds as mean ± standard error).
    for seed in 0 1 2 3; do
        ising "$seed" 64 "${EULER[@]}"
        ising "$seed" 64 "${EXACT[@]}"
        ising "$seed" 64 "${EXACT[@]}" --set sites=checkerboard      # half the sites per evaluation
        [ "$seed" = 0 ] && potts 0 32 "${EULER[@]}"
        [ "$seed" = 0 ] && ising 0 64 "${EXACT[@]}" --set resample_threshold=0.5 --set n_islands=4
        [ "$seed" = 0 ] && ising 0 64 "${EXACT[@]}" --set mcmc_sweeps=1
    done
    ising 0 64 --set n_steps=200 --set weights=euler --set rate_floor=0
    ising 0 64 --set n_steps=200 --set weights=exact --set rate_floor=0.001
}
session2() {
    # Session 2 (LE-conv ~3x faster).  Parity: torch CPU against the numpy Euler rows above (same
    # settings, 4 seeds x 64) and array-api-strict on a few walkers.
    for seed in 0 1 2 3; do BACKEND=torch ising "$seed" 64 "${EULER[@]}"; done
    for seed in 0 1; do BACKEND=array-api-strict ising "$seed" 16 "${EULER[@]}"; done
    # Towards the issue's >= 5000 walkers with the authors' settings: Euler seeds of 256 walkers
    # (pool.py pools them with the 64-walker seeds 0-3 above).
    for seed in $(seq 4 22); do ising "$seed" 256 "${EULER[@]}"; done
    # Exact weights (rate floor 1e-3) towards >= 5000 walkers: seeds of 256 (pooled with seeds 0-3).
    for seed in $(seq 4 23); do ising "$seed" 256 "${EXACT[@]}"; done
}
session3() {
    # Session 3: the other configurations at >= 5000 walkers (seeds of 256; SMC islands
    # of 64 walkers), then the steps sweep (one seed of 256 walkers per point, Euler 64), steps
    # ascending so that a partial sweep is balanced, then Potts towards >= 5000 walkers.  It ran
    # as three queues at once (the 1600-step level and the threshold-1 SMC seeds and Potts seeds
    # 21-40 beside the rest); the order below is one queue's.
    local ISL=(--set resample_threshold=0.5 --set n_islands=4)
    local EVERY=(--set resample_threshold=1.0 --set n_islands=4)   # SMC resampling every step
    for seed in $(seq 4 23); do ising "$seed" 256 "${EXACT[@]}" "${ISL[@]}"; done
    for seed in $(seq 4 23); do ising "$seed" 256 "${EXACT[@]}" --set mcmc_sweeps=1; done
    for seed in $(seq 4 13); do ising "$seed" 256 "${EXACT[@]}" "${EVERY[@]}"; done
    ising 100 256 "${EXACT[@]}" --set sites=checkerboard
    for steps in 200 400 800 1600; do
        local E=(--set n_steps=$steps --set weights=exact --set rate_floor=0.001)
        ising 100 256 "${E[@]}"
        ising 100 256 "${E[@]}" --set sites=checkerboard
        ising 100 256 "${E[@]}" "${ISL[@]}"
        ising 100 64 --set n_steps=$steps --set weights=euler --set rate_floor=0
    done
    for seed in $(seq 1 40); do
        potts "$seed" 256 "${EULER[@]}"
        potts "$seed" 256 "${EXACT[@]}"
    done
}
session4a() {
    # Session 4, queue a: Potts SMC islands at >= 5000 walkers, then half of the checkerboard
    # seeds, then the 800-step checkerboard point.
    for seed in $(seq 1 20); do
        potts "$seed" 256 "${EXACT[@]}" --set resample_threshold=0.5 --set n_islands=4
    done
    for seed in $(seq 1 10); do potts "$seed" 256 "${EXACT[@]}" --set sites=checkerboard; done
    potts 100 256 --set n_steps=800 --set weights=exact --set rate_floor=0.001 \
        --set sites=checkerboard
}
session4b() {
    # Session 4, queue b: Potts MCMC refinement at >= 5000 walkers, the other checkerboard seeds,
    # then the 800-step SMC-islands point.
    for seed in $(seq 1 20); do potts "$seed" 256 "${EXACT[@]}" --set mcmc_sweeps=1; done
    for seed in $(seq 11 20); do potts "$seed" 256 "${EXACT[@]}" --set sites=checkerboard; done
    potts 100 256 --set n_steps=800 --set weights=exact --set rate_floor=0.001 \
        --set resample_threshold=0.5 --set n_islands=4
}
session4c() {
    # Session 4, queue c: Potts parity (torch CPU against numpy, the authors' settings), then more
    # seeds for the cheapest Ising point of the steps sweep (checkerboard, 200 steps).
    for seed in 0 1 2 3; do BACKEND=torch potts "$seed" 64 "${EULER[@]}"; done
    for seed in 101 102 103 104; do
        ising "$seed" 256 --set n_steps=200 --set weights=exact --set rate_floor=0.001 \
            --set sites=checkerboard
    done
}
session4d() {
    # Session 4, queue d (after queue a's SMC islands, in its place): the MCMC seeds from the top
    # down, meeting queue b's, then queue c.
    for seed in $(seq 20 -1 11); do potts "$seed" 256 "${EXACT[@]}" --set mcmc_sweeps=1; done
    session4c
}
session4() { session4a; session4b; session4c; }   # session 4 ran queues a, b, then d at once
for session in "${@:-session1 session2 session3 session4}"; do "$session"; done
