"""The PyTorch oracle's re-evaluation of a study's final weights (its own model code and attacks,
test/oracle/torch_oracle.py): clean accuracy, deterministic PGD-20 (step 2/255, no random start)
and APGD-CE (Croce & Hein 2020, 100 iterations) at eps 8/255 on the first N CIFAR-10 test images.

  python3 scripts/study/oracle_eval.py --runs study-out/NAME --data public/data/cifar10 \
      [--clean-n 10000] [--robust-n 1000] [--apgd-iters 100] [--device cuda] [--loop-until FILE]

For every DIR/runs/*/weights.safetensors of a finished run (a log.json beside it, or the app-run.json
of scripts/screenshots/real-run.ts), merges its figures into DIR/runs/*/oracle.json (a
figure already there for the same number of images is not computed again). --loop-until FILE keeps
looking for new weights until FILE exists (while a study runs beside it), then does a last pass.
"""
import argparse, glob, json, os, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'oracle'))
import torch  # noqa: E402
from torch_oracle import apgd_ce, build, pgd, read_cifar  # noqa: E402

EPS = 8 / 255


def accuracy(model, x, y, dev, batch=250):
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            correct += (model(x[i:i + batch].to(dev)).argmax(1).cpu() == y[i:i + batch]).sum().item()
    return correct / len(y)


def robust(model, x, y, dev, attack, batch=500):
    """Robust accuracy as advtune counts it: correct on the clean image and on the attacked one."""
    correct = 0
    for i in range(0, len(y), batch):
        xb, yb = x[i:i + batch].to(dev), y[i:i + batch].to(dev)
        with torch.no_grad():
            c = model(xb).argmax(1) == yb
        xa = attack(xb, yb, i)
        with torch.no_grad():
            correct += ((model(xa).argmax(1) == yb) & c).sum().item()
    return correct / len(y)


def evaluate(path, a, data, dev):
    out_path = os.path.join(os.path.dirname(path), 'oracle.json')
    result = json.load(open(out_path)) if os.path.exists(out_path) else {}
    todo = []
    if a.clean_n and result.get('clean', {}).get('n') != a.clean_n:
        todo.append('clean')
    if a.robust_n and result.get('pgd20', {}).get('n') != a.robust_n:
        todo.append('pgd20')
    if a.robust_n and a.apgd_iters and (result.get('apgd', {}).get('n'), result.get('apgd', {}).get('iters')) != (a.robust_n, a.apgd_iters):
        todo.append('apgd')
    if not todo:
        return False
    t0 = time.time()
    model = build(path).to(dev).eval()
    x, y = data
    if 'clean' in todo:
        result['clean'] = {'n': a.clean_n, 'accuracy': accuracy(model, x[:a.clean_n], y[:a.clean_n], dev)}
    xr, yr = x[:a.robust_n], y[:a.robust_n]
    if 'pgd20' in todo:
        result['pgd20'] = {'n': a.robust_n, 'clean': accuracy(model, xr, yr, dev), 'robust': robust(model, xr, yr, dev, lambda xb, yb, i: pgd(model, xb, yb, EPS, 2 / 255, 20))}
    if 'apgd' in todo:
        result['apgd'] = {'n': a.robust_n, 'iters': a.apgd_iters, 'robust': robust(model, xr, yr, dev, lambda xb, yb, i: apgd_ce(model, xb, yb, EPS, a.apgd_iters, 0, first=i))}
    where = {'device': 'CPU' if dev.type == 'cpu' else torch.cuda.get_device_name(dev), 'torch': torch.__version__}
    for k in todo:  # each figure says where it was computed (clean on a CPU, attacks on a GPU, say)
        result[k].update(where)
    tmp = out_path + '.tmp'
    json.dump(result, open(tmp, 'w'), indent=1)
    os.replace(tmp, out_path)
    print(f'{os.path.basename(os.path.dirname(path))}: {", ".join(todo)} in {time.time() - t0:.1f} s', file=sys.stderr, flush=True)
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--runs', required=True, nargs='+', help='study folders (each with runs/*/weights.safetensors)')
    p.add_argument('--data', required=True, help='folder with test_batch.bin')
    p.add_argument('--clean-n', type=int, default=10000)
    p.add_argument('--robust-n', type=int, default=1000)
    p.add_argument('--apgd-iters', type=int, default=100)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--loop-until')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)  # denormal weights or activations can slow CPU arithmetic many times over
    dev = torch.device(a.device)
    data = read_cifar(os.path.join(a.data, 'test_batch.bin'), max(a.clean_n, a.robust_n))
    if len(data[1]) < max(a.clean_n, a.robust_n):
        raise SystemExit(f'{a.data}/test_batch.bin holds {len(data[1])} images; asked for {max(a.clean_n, a.robust_n)}')
    while True:
        last = a.loop_until is None or os.path.exists(a.loop_until)
        for path in sorted(sum((glob.glob(os.path.join(r, 'runs', '*', 'weights.safetensors')) for r in a.runs), [])):
            here = os.path.dirname(path)
            if any(os.path.exists(os.path.join(here, f)) for f in ('log.json', 'app-run.json')):  # finished runs only
                evaluate(path, a, data, dev)
        if last:
            break
        time.sleep(5)


if __name__ == '__main__':
    main()
