"""The prepared device check (``.ci/gpu OUTDIR``): one script that turns a few minutes on a GPU
into the GPU rows of every table, and its CPU dry run (``.ci/gpu --cpu-dry-run OUTDIR``), which
CI runs so that it cannot rot.

Steps (each a subcommand of ``python -m leapsbench.devicecheck``, each under its own time limit
in ``.ci/gpu``; the budgets are :data:`.plan.STEP_SECONDS`):

1. ``tests`` — the suite's CUDA and CuPy parametrisations (:mod:`.suite`);
2. ``parity`` — the LEAPS authors' Ising checkpoint on each device backend against the
   committed CPU rows (:mod:`.parity`);
3. ``throughput`` — checkerboard sweeps, Swendsen–Wang, the LE-conv forward and one LEAPS
   training step of the paper preset (:mod:`.throughput`, :mod:`.leapscost`);
4. ``summary`` — ``summary.md`` from the steps' JSON (:mod:`.summary`).

Every measurement is written to ``OUTDIR/<step>.json`` (and ``summary.md`` re-rendered) as soon
as it exists, so an interrupted run still returns what it measured.  The dry run runs the same
functions on torch-CPU and numpy at tiny sizes (:data:`.plan.DRY_PLAN`).
"""
