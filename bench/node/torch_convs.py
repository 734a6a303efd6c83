"""PyTorch's side of the convolution kernel benchmark (bench/node/conv-kernels.ts): the same three
ResNet-20 3x3 stride-1 convolutions, forward, input gradient and weight gradient, each timed alone
(aten.convolution_backward with one output asked for), in eager PyTorch on the CPU.

  /usr/bin/python3 bench/node/torch_convs.py --threads 2 --batch 128 --reps 5

Prints a JSON list of {shape, op, ms, msAll}: the median of the timed calls after one warm-up.
"""
import argparse, json, statistics, time
import torch
import torch.nn.functional as F

SHAPES = [(32, 16), (16, 32), (8, 64)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--reps', type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    rows = []
    for hw, c in SHAPES:
        x = torch.randn(a.batch, c, hw, hw, generator=g)
        w = torch.randn(c, c, 3, 3, generator=g) * 0.1
        dy = torch.randn(a.batch, c, hw, hw, generator=g)

        def backward(mask):
            return torch.ops.aten.convolution_backward(dy, x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, mask)

        ops = {
            'forward': lambda: F.conv2d(x, w, padding=1),
            'input-grad': lambda: backward([True, False, False]),
            'weight-grad': lambda: backward([False, True, False]),
        }
        with torch.no_grad():
            for op, f in ops.items():
                f()
                ms = []
                for _ in range(a.reps):
                    t0 = time.perf_counter()
                    f()
                    ms.append((time.perf_counter() - t0) * 1000)
                rows.append({'shape': f'{a.batch}x{hw}x{hw}x{c}', 'op': op, 'ms': statistics.median(ms), 'msAll': ms})
    print(json.dumps(rows))


if __name__ == '__main__':
    main()
