#!/usr/bin/env bash
# The measurements of results/listing/ (issue 29; see COMMAND.txt), resumable: a finished run is
# skipped on a rerun, a fine-tuning continues from its committed training state.  From the
# repository root:
#   nice -n 19 bash results/listing/run.sh [SESSION...]   (default: transfer)
# Sessions: transfer (the authors' networks carried to the listing's sizes, not fine-tuned),
# transfer_exact, finetune (the six fine-tunings to 1, 3 and 10 CPU-hours, resumable; MARKS="1"
# in the environment stops each at the 1-hour mark before starting the next),
# tuned_small (HOURS=1: 5 seeds x 64 walkers Euler and 1 x 32 checkerboard, what one sitting affords),
# tuned_rows (HOURS=1|3|10 in the environment; sampling the fine-tuned networks: 5 seeds x 400 walkers, Euler 100 and checkerboard 800).
# The authors' checkpoints are not shipped: download them from github.com/malbergo/leaps
# (ckpts/) and set LEAPS_CKPTS to their folder (default ../shared/leaps-authors).
set -uo pipefail
export OMP_NUM_THREADS=1
CKPTS="${LEAPS_CKPTS:-../shared/leaps-authors}"
OUT=results/listing/runs
sample() {  # benchmark checkpoint seed walkers --set ...
    local bench=$1 ckpt=$2 seed=$3 n=$4; shift 4
    leapsbench run --benchmark "$bench" --method leaps-conv --checkpoint "$ckpt" \
        --backend torch --dtype float32 --seed "$seed" --n-samples "$n" \
        --results "$OUT" --cache .leapsbench-cache --no-progress --format csv "$@"
}
EULER=(--set n_steps=100 --set weights=euler --set rate_floor=0)      # the authors' settings
CHECKER=(--set n_steps=800 --set weights=exact --set rate_floor=0.001 --set sites=checkerboard)
CIRCULAR=(--set first_padding=circular)
transfer() {
    # The authors' 15x15 Ising network on the listing's 24x24 Ising benchmarks, not fine-tuned.
    # 64 walkers per seed: on the shared 2-core machine a 24x24 walker-forward costs ~10 ms of
    # CPU (torch float32), i.e. ~1 CPU-s per walker at 100 steps, 8 at 800.
    local ising="$CKPTS/ising_final.ckpt"
    for seed in 0 1 2 3 4; do
        sample ising-L24-b0.4407 "$ising" "$seed" 64 "${EULER[@]}"                # zero padding
        sample ising-L24-b0.4407 "$ising" "$seed" 64 "${EULER[@]}" "${CIRCULAR[@]}"
    done
    for seed in 0 1; do
        for bench in ising-L24-b0.28 ising-L24-b0.6; do
            sample "$bench" "$ising" "$seed" 64 "${EULER[@]}" "${CIRCULAR[@]}" --transfer-beta
        done
    done
}
transfer_exact() {  # the cheapest unbiased configuration of the 15x15 study, not fine-tuned
    for seed in 0 1 2 3 4; do
        sample ising-L24-b0.4407 "$CKPTS/ising_final.ckpt" "$seed" 32 "${CHECKER[@]}" "${CIRCULAR[@]}"
    done
}
# Fine-tuning on a CPU (leapsbench train --init-from): 16 walkers x 100 steps per rollout (h =
# 0.01, the authors' sampling grid), one Metropolis sweep per step (the paper preset's MCMC in
# rollouts), 32 PINN pairs per step from a buffer of 4 rollouts refreshed every 10 steps, lr 3e-5
# (x 0.995 per 1000 steps), the paper's F-net (200 x 4, output layer fitted at the start), full
# horizon from the first step (no curriculum), circular first-layer padding.  The training state
# is written to results/listing/state/<benchmark>/ every 5 steps and at the end of each sitting,
# so a new checkout resumes it (commit that folder).
FT=(--set train_walkers=16 --set train_horizon=100 --set train_pairs=32
    --set train_buffer_rollouts=4 --set train_refresh_every=10 --set train_lr=0.00003
    --set train_decay=0.995 --set train_decay_every=1000 --set train_mcmc_sweeps=1
    --set train_fnet_width=200 --set train_fnet_depth=4 --set train_eval_every=50
    --set train_eval_walkers=16 --set train_checkpoint_every=5 --set first_padding=circular)
spent() {  # KEY DIR: a fine-tuning's cpu_seconds_here or train_wall_seconds_here (0 if none)
    python -c "import json,sys; print(json.load(open(sys.argv[1]))['extra']['fine_tuning'].get(sys.argv[2]) or 0)" \
        "$2/checkpoint.json" "$1" 2>/dev/null || echo 0
}
fine_tune() {  # benchmark checkpoint: sittings of <= 10 min until 1, 3 and 10 CPU-hours
    local bench=$1 ckpt=$2 out=results/listing/state/$1
    for hours in ${MARKS:-1 3 10}; do
        [ -f "$out/at-${hours}h/checkpoint.json" ] && continue
        while python -c "import sys; sys.exit(float(sys.argv[1]) >= $hours * 3600)" \
            "$(spent cpu_seconds_here "$out")"; do
            # --seconds is the total wall time of all sittings: this sitting gets SITTING more
            local until
            until=$(python -c "import sys; print(float(sys.argv[1]) + ${SITTING:-600})" \
                "$(spent train_wall_seconds_here "$out")")
            leapsbench train --benchmark "$bench" --init-from "$ckpt" --out "$out" \
                --steps 1000000 --seconds "$until" "${FT[@]}" || return 1
        done
        mkdir -p "$out/at-${hours}h" && cp "$out"/checkpoint.{npz,json} "$out/at-${hours}h/"
    done
}
finetune() {
    fine_tune ising-L24-b0.4407 "$CKPTS/ising_final.ckpt"
    fine_tune ising-L24-b0.28 "$CKPTS/ising_final.ckpt"
    fine_tune ising-L24-b0.6 "$CKPTS/ising_final.ckpt"
    fine_tune potts-q4-L16-b1.0986 "$CKPTS/potts_final.ckpt"
    fine_tune potts-q4-L16-b0.9 "$CKPTS/potts_final.ckpt"
    fine_tune potts-q4-L16-b1.3 "$CKPTS/potts_final.ckpt"
}
each_tuned() {  # FUNCTION: FUNCTION BENCHMARK CHECKPOINT for every network fine-tuned to the mark
    # HOURS (1, 3 or 10; default 1)
    local hours=${HOURS:-1} bench
    for bench in ising-L24-b0.4407 ising-L24-b0.28 ising-L24-b0.6 potts-q4-L16-b1.0986 \
        potts-q4-L16-b0.9 potts-q4-L16-b1.3; do
        local ckpt=results/listing/state/$bench/at-${hours}h
        [ -f "$ckpt/checkpoint.json" ] || continue
        "$1" "$bench" "$ckpt"
    done
}
issue_rows() {  # the issue's rows: 5 seeds x 400 walkers, Euler 100 and checkerboard 800
    for seed in 0 1 2 3 4; do
        sample "$1" "$2" "$seed" 400 "${EULER[@]}"
        sample "$1" "$2" "$seed" 400 "${CHECKER[@]}"
    done
}
small_rows() {  # what fits one sitting: the transfer rows' size (5 seeds x 64 walkers, Euler 100)
    # and one seed x 32 walkers checkerboard 800
    for seed in 0 1 2 3 4; do
        sample "$1" "$2" "$seed" 64 "${EULER[@]}"
    done
    sample "$1" "$2" 0 32 "${CHECKER[@]}"
}
tuned_rows() { each_tuned issue_rows; }
tuned_small() { each_tuned small_rows; }
for session in "${@:-transfer}"; do "$session"; done
