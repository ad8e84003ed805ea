"""Bias of LEAPS log Ẑ: Euler weights vs the exact discrete-time weights, versus the step count N.

One leaps-conv network trained with the quick TrainConfig (seed 0) on ising-L4-b0.4407, then
sampled with 4000 walkers per N on numpy (seed 1); log Z_ref from Kaufman/enumeration.
"""

from leapsbench.backends import get_backend

from leapsbench.exact import exact_reference
from leapsbench.leaps.ctmc import CTMCConfig, leaps_sample
from leapsbench.leaps.networks import make_network
from leapsbench.leaps.train import TrainConfig, train_leaps
from leapsbench.models import ising

model = ising(4, 4, beta=0.4407)
ref = exact_reference(model)
net = make_network("conv", model)
params, _, _ = train_leaps(net, net.init_params(0), model, TrainConfig(), seed=0)
backend = get_backend("numpy")
print("| N | weights | log Ẑ − log Z | ± | ESS/n |\n|---|---|---|---|---|")
for n in (10, 25, 50, 100, 200):
    for mode in ("exact", "euler"):
        s = leaps_sample(
            net,
            params,
            model,
            backend,
            backend.rng(1),
            CTMCConfig(n_steps=n, n_walkers=4000, weights=mode),
        )
        print(
            f"| {n} | {mode} | {s.log_z - ref.log_z:+.4f} | {s.log_z_err:.4f} | "
            f"{s.diagnostics['ess_fraction'][-1]:.3f} |"
        )
