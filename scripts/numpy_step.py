"""The paper net's FA training step written plainly in numpy: the yardstick for FA Lab's speed.

Usage: OPENBLAS_NUM_THREADS=1 python3 scripts/numpy_step.py [REPS]
Prints the median time of one epoch (60 steps of batch 1000, net 225-50-50-50-50-50,
tanh(relu), FA updates) over REPS epochs, and the GFLOP/s of its matrix products.
"""
import sys, time
import numpy as np

SIZES = [225, 50, 50, 50, 50, 50]
BATCH, N_TRAIN = 1000, 60000
STEPS = N_TRAIN // BATCH
rng = np.random.default_rng(0)
X = rng.random((N_TRAIN, SIZES[0]), dtype=np.float32)
Y = np.zeros((N_TRAIN, SIZES[-1]), np.float32)
Y[np.arange(N_TRAIN), rng.integers(0, SIZES[-1], N_TRAIN)] = 1.0
W = [rng.normal(0, 0.1, (a, b)).astype(np.float32) for a, b in zip(SIZES, SIZES[1:])]
b = [rng.normal(0, 0.1, n).astype(np.float32) for n in SIZES[1:]]
B = [rng.normal(0, 0.1, (n_out, n_in)).astype(np.float32) for n_in, n_out in zip(SIZES, SIZES[1:])]
eta = np.float32(1e-3)
flops = sum(2 * BATCH * a * c * (2 if i == 0 else 3) for i, (a, c) in enumerate(zip(SIZES, SIZES[1:])))


def step(x, y):
    acts = [x]
    for w, bias in zip(W, b):
        acts.append(np.tanh(np.maximum(acts[-1] @ w + bias, 0)))
    out = acts[-1]
    delta = -(out - y) * np.where(out > 0, 1 - out * out, 0)
    for l in reversed(range(len(W))):
        inp = acts[l]
        back = (delta @ B[l]) * np.where(inp > 0, 1 - inp * inp, 0) if l > 0 else None
        W[l] += eta * (inp.T @ delta)
        b[l] += eta * delta.sum(axis=0)
        delta = back


reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
step(X[:BATCH], Y[:BATCH])
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    for s in range(STEPS):
        step(X[s * BATCH:(s + 1) * BATCH], Y[s * BATCH:(s + 1) * BATCH])
    times.append(time.perf_counter() - t0)
med = sorted(times)[len(times) // 2]
print(f"numpy {np.__version__} FA epoch: {med:.4f} s (median of {reps}), {STEPS * flops / med / 1e9:.1f} GFLOP/s")
