"""The benchmark's PyTorch side: the same four workloads as bench/tasks/workloads.ts, on the same
ResNet-20 weights and CIFAR-10 test images, in eager PyTorch (CPU with a set thread count, or CUDA).

  /usr/bin/python3 bench/node/torch_bench.py --weights W --data test_batch.bin \
      --device cpu --threads 2 --batches 128,16 --warmup 1 --reps 3 --out runs.json

The model is test/oracle/torch_oracle.py's re-implementation (imported, not written again).
Workloads, matching the app's code:
  forward  eval-mode logits, no autograd
  clean    one SGD step (momentum 0.9, wd 5e-4, lr 0.01) on the clean batch, BatchNorm in train mode
  pgd7     PGD-7 (eps 8/255, step 2/255, random start; input gradients only, eval mode) + that SGD step
  pgd20    PGD-20 from the clean image (no random start) + clean and adversarial forward passes
Prints (or writes) a JSON list of BackendRun objects, one per batch size.
"""
import argparse, json, os, platform, statistics, sys, time
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'oracle'))
from torch_oracle import build, read_cifar, pgd  # noqa: E402

EPS, STEP = 8 / 255, 2 / 255
WORKLOADS = ['forward', 'clean', 'pgd7', 'pgd20']


def pgd_random_start(model, x, y, steps):
    """The training attack: uniform start in the eps-ball, then the oracle's PGD loop."""
    xa = (x + torch.empty_like(x).uniform_(-EPS, EPS)).clamp(0, 1)
    for _ in range(steps):
        xa.requires_grad_(True)
        loss = F.cross_entropy(model(xa), y, reduction='sum')
        g, = torch.autograd.grad(loss, xa)  # input gradient only, as the app's tf.grad
        xa = xa.detach() + STEP * g.sign()
        xa = torch.min(torch.max(xa, x - EPS), x + EPS).clamp(0, 1)
    return xa.detach()


def make_workloads(model, x, y, opt):
    def forward():
        with torch.no_grad():
            model.eval()
            model(x)

    def sgd_step(inp):
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(inp), y)
        loss.backward()
        opt.step()
        return loss.item()  # the one read-back per step, as in the app

    def clean():
        sgd_step(x)

    def pgd_train(steps):
        def f():
            model.eval()
            sgd_step(pgd_random_start(model, x, y, steps))
        return f

    def robust_eval(steps):
        def f():
            model.eval()
            with torch.no_grad():
                F.softmax(model(x), 1)
            xa = pgd(model, x, y, EPS, STEP, steps)
            with torch.no_grad():
                F.softmax(model(xa), 1).cpu()
        return f

    # (warm-up, timed): as in workloads.ts, attacks warm up with one iteration (same kernels, shapes).
    return {'forward': (forward, forward), 'clean': (clean, clean), 'pgd7': (pgd_train(1), pgd_train(7)),
            'pgd20': (robust_eval(1), robust_eval(20))}


def timing(name, batch, ms, cpu_ms):
    med = statistics.median(ms)
    return {'workload': name, 'batch': batch, 'ms': ms, 'medianMs': med, 'imagesPerSec': batch / med * 1000,
            'imagesPerSecMin': batch / max(ms) * 1000, 'imagesPerSecMax': batch / min(ms) * 1000, 'cpuMs': cpu_ms}


def cpu_model():
    try:
        return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration):
        return platform.processor() or None


def run(args, batch, device, log):
    model = build(args.weights).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x, y = read_cifar(args.data, batch)
    x, y = x.to(device), y.to(device)
    fns = make_workloads(model, x, y, opt)
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    timings = []
    for name in args.workloads.split(','):
        warm, f = fns[name]
        for i in range(args.warmup):
            t0 = time.perf_counter(); warm(); sync()
            log(f'  {name}: warm-up {i + 1}/{args.warmup} {(time.perf_counter() - t0) * 1000:.0f} ms')
        ms, cpu = [], []
        for i in range(args.reps):
            c0, t0 = time.process_time(), time.perf_counter()
            f(); sync()
            ms.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            log(f'  {name}: run {i + 1}/{args.reps} {ms[-1]:.0f} ms')
        timings.append(timing(name, batch, ms, cpu))
    memory = None
    if device.type == 'cuda':
        memory = {'steps': 0, 'before': {'numTensors': 0, 'numBytes': torch.cuda.memory_allocated()},
                  'after': {'numTensors': 0, 'numBytes': torch.cuda.max_memory_allocated()}}
    kind = 'cuda' if device.type == 'cuda' else 'cpu'
    threads = torch.get_num_threads() if kind == 'cpu' else None
    return {
        'id': f'torch-{kind}' + (f'-{threads}t' if threads else ''),
        'env': 'python', 'backend': f'torch-{kind}', 'threads': threads,
        'adapter': torch.cuda.get_device_name(device) if kind == 'cuda' else cpu_model(),
        'plan': {'batch': batch, 'warmup': args.warmup, 'reps': args.reps, 'workloads': args.workloads.split(',')},
        'timings': timings, 'memory': memory, 'lastLoss': None,
        'versions': {'torch': torch.__version__, 'python': platform.python_version(),
                     **({'cuda': torch.version.cuda or ''} if kind == 'cuda' else {})},
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--weights', required=True)
    p.add_argument('--data', required=True)
    p.add_argument('--device', default='cpu')
    p.add_argument('--threads', type=int, default=0, help='CPU threads (0: leave torch\'s default)')
    p.add_argument('--batches', default='128')
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--reps', type=int, default=3)
    p.add_argument('--workloads', default=','.join(WORKLOADS))
    p.add_argument('--out')
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)  # Debian's torch defaults to 1 thread here: set it explicitly
    torch.manual_seed(0)
    device = torch.device(a.device)
    if device.type == 'cuda':
        torch.backends.cudnn.benchmark = True  # eager PyTorch as people run it on a GPU
    tag = f'torch-{device.type}' + (f'-{torch.get_num_threads()}t' if device.type == 'cpu' else '')
    log = lambda s: print(f'[{tag}] {s}', file=sys.stderr, flush=True)
    runs = [run(a, int(b), device, log) for b in a.batches.split(',')]
    text = json.dumps(runs, indent=2)
    if a.out:
        open(a.out, 'w').write(text)
    else:
        print(text)


if __name__ == '__main__':
    main()
