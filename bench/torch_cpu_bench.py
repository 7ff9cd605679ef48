#!/usr/bin/env python3
"""PyTorch's side of the CPU benchmark: the same cases, names and sizes as
init-core/benches/throughput.rs, median of N runs after a warm-up, 2 threads.

Writes JSON {"torch_version", "threads", "results": [{"name", "elements", "median_s"}]} to the
path given as the first argument (`--list` instead prints the case names). Run by bench/cpu.sh, which then runs the Rust bench with
TORCH_BENCH pointing at that file, so both are measured on the same machine in one run.
"""
import json
import sys
import time

import torch

REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
# A substring of the case names to run, or "=name" for exactly one case.
FILTER = sys.argv[3] if len(sys.argv) > 3 else ""
torch.set_num_threads(2)
init = torch.nn.init
big = (8192, 8192)

CASES = [
    ("normal_ 8192x8192 f32", big, torch.float32, lambda t: init.normal_(t, 0.0, 1.0)),
    ("uniform_ 8192x8192 f32", big, torch.float32, lambda t: init.uniform_(t, 0.0, 1.0)),
    ("xavier_normal_ 8192x8192 f32", big, torch.float32, lambda t: init.xavier_normal_(t)),
    ("xavier_uniform_ 8192x8192 f32", big, torch.float32, lambda t: init.xavier_uniform_(t)),
    ("kaiming_uniform_ 8192x8192 f32", big, torch.float32, lambda t: init.kaiming_uniform_(t)),
    ("kaiming_normal_ 8192x8192 f32", big, torch.float32, lambda t: init.kaiming_normal_(t)),
    ("normal_ 8192x8192 bf16", big, torch.bfloat16, lambda t: init.normal_(t, 0.0, 1.0)),
    ("xavier_normal_ 8192x8192 bf16", big, torch.bfloat16, lambda t: init.xavier_normal_(t)),
    ("uniform_ 8192x8192 bf16", big, torch.bfloat16, lambda t: init.uniform_(t, 0.0, 1.0)),
    ("trunc_normal_ 8192x8192 (0,1,-2,2)", big, torch.float32, lambda t: init.trunc_normal_(t)),
    ("trunc_normal_ 8192x8192 std=0.02", big, torch.float32, lambda t: init.trunc_normal_(t, std=0.02)),
    ("trunc_normal_ 8192x8192 a=2 b=3", big, torch.float32, lambda t: init.trunc_normal_(t, a=2.0, b=3.0)),
    ("constant_ 8192x8192 f32", big, torch.float32, lambda t: init.constant_(t, 0.5)),
    ("orthogonal_ 1024x1024", (1024, 1024), torch.float32, lambda t: init.orthogonal_(t)),
    ("orthogonal_ 4096x4096", (4096, 4096), torch.float32, lambda t: init.orthogonal_(t)),
    ("orthogonal_ 512x4096", (512, 4096), torch.float32, lambda t: init.orthogonal_(t)),
]
# Cases that take minutes in PyTorch are run fewer times.
SLOW = {"trunc_normal_ 8192x8192 (0,1,-2,2)": 3, "trunc_normal_ 8192x8192 a=2 b=3": 1,
        "orthogonal_ 4096x4096": 3}


def wanted(name):
    """Whether FILTER selects case `name`."""
    return name == FILTER[1:] if FILTER.startswith("=") else FILTER in name


def c3d():
    """C3D (Tran et al. 2015), as examples/c3d.rs builds it: 8 Conv3d k3 p1, fc6-fc8."""
    nn = torch.nn
    convs = [(3, 64), (64, 128), (128, 256), (256, 256), (256, 512), (512, 512), (512, 512), (512, 512)]
    layers = [nn.Conv3d(i, o, 3, padding=1) for i, o in convs]
    layers += [nn.Linear(8192, 4096), nn.Linear(4096, 4096), nn.Linear(4096, 487)]
    return nn.Sequential(*layers)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1 or classname.find("Linear") != -1:
        init.xavier_normal_(m.weight)
        init.zeros_(m.bias)


def bench_c3d(out):
    """C3D's model.apply(weights_init): what examples/c3d.rs prints as its init time."""
    name = "C3D model.apply(weights_init)"
    if not wanted(name):
        return
    model = c3d()
    n = sum(p.numel() for p in model.parameters())
    model.apply(weights_init)
    times = []
    for _ in range(REPEATS):
        s = time.perf_counter()
        model.apply(weights_init)
        times.append(time.perf_counter() - s)
    times.sort()
    med = times[len(times) // 2]
    out["results"].append({"name": name, "elements": n, "median_s": med})
    print(f"torch {name:<36} {med * 1e3:10.1f} ms ({n} parameters)", file=sys.stderr, flush=True)


def main():
    if sys.argv[1] == "--list":
        for name, *_ in CASES:
            print(name)
        return
    out = {"torch_version": torch.__version__, "threads": torch.get_num_threads(), "results": []}
    bench_c3d(out)
    for name, shape, dtype, f in CASES:
        if not wanted(name):
            continue
        t = torch.empty(shape, dtype=dtype)
        reps = min(REPEATS, SLOW.get(name, REPEATS))
        if name not in SLOW:
            f(t)  # warm-up
        times = []
        for _ in range(reps):
            s = time.perf_counter()
            f(t)
            times.append(time.perf_counter() - s)
        times.sort()
        med = times[len(times) // 2]
        out["results"].append({"name": name, "elements": t.numel(), "median_s": med})
        print(f"torch {name:<36} {med * 1e3:10.1f} ms", file=sys.stderr, flush=True)
    with open(sys.argv[1], "w") as fh:
        json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
