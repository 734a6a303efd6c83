"""advtune's training recipe written independently in PyTorch: a scout for the study's budgets.

The model code is the oracle's (test/oracle/torch_oracle.py). The recipe is advtune's: a subset of
the CIFAR-10 training set, random crop + flip, the training attack (PGD-k / FGSM-RS, random start,
model in eval mode) at eps(t) = eps_max * eps_curve(t) with the step size scaled alike, one SGD step
(PyTorch's momentum and weight decay) in train mode at lr = peak * lr_curve(t), t the middle of the
step's span, the last partial batch dropped. Data order and attack noise come from torch's RNG, so
runs match advtune's in distribution, not bit for bit.

  python3 scripts/study/torch_train.py --data public/data/cifar10 --init public/weights/resnet20.th \
      --train-size 10000 --epochs 2 --lr-curve 0:0,0.5:1,0.7:0.1,1:0 --log out.json

Prints progress on stderr and writes one JSON object (history of evaluation points) to --log at
every evaluation ('status': 'running' until the end).
"""
import argparse, json, math, os, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'oracle'))
import numpy as np
import torch
import torch.nn.functional as F
from torch_oracle import ResNet, build, read_cifar, write_safetensors  # noqa: E402
from torch_oracle import pgd as oracle_pgd  # noqa: E402


def curve(spec):
    pts = [tuple(float(v) for v in p.split(':')) for p in spec.split(',')]
    if len(pts) < 2:
        raise SystemExit(f'a curve needs at least two points: {spec}')
    return pts


def at(pts, t):
    """The piecewise-linear curve at t (advtune's lrMultiplier: a vertical step keeps the right value)."""
    u = min(1.0, max(0.0, t))
    i = 1
    while i < len(pts) - 1 and pts[i][0] <= u:
        i += 1
    (ta, ya), (tb, yb) = pts[i - 1], pts[i]
    return yb if tb == ta else ya + (u - ta) / (tb - ta) * (yb - ya)


def load_train(folder, n):
    xs, ys = [], []
    for k in range(1, 6):
        if sum(len(y) for y in ys) >= n:
            break
        x, y = read_cifar(os.path.join(folder, f'data_batch_{k}.bin'), 10000)
        xs.append(x)
        ys.append(y)
    return torch.cat(xs)[:n], torch.cat(ys)[:n]


def augment(x, gen):
    b = x.shape[0]
    padded = F.pad(x, (4, 4, 4, 4))
    dy = torch.randint(0, 9, (b,), generator=gen)
    dx = torch.randint(0, 9, (b,), generator=gen)
    flip = torch.rand(b, generator=gen) < 0.5
    out = torch.empty_like(x)
    for i in range(b):
        img = padded[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32]
        out[i] = img.flip(2) if flip[i] else img
    return out


def pgd(model, x, y, eps, step, steps, random_start=True, gen=None):
    """The oracle's PGD-k, from a uniform random point of the eps-ball (torch's RNG) for training."""
    if eps == 0 or steps == 0:
        return x
    start = None
    if random_start:
        noise = (torch.rand(x.shape, generator=gen, device='cpu').to(x.device) * 2 - 1) * eps
        start = torch.min(torch.max(x + noise, x - eps), x + eps).clamp(0, 1)
    return oracle_pgd(model, x, y, eps, step, steps, start=start)


def he_init(model, seed):
    """He (Kaiming) normal init for convolutions and the linear layer, BatchNorm at 1/0."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            fan_in = m.weight[0].numel()
            m.weight.data = torch.randn(m.weight.shape, generator=g) * math.sqrt(2 / fan_in)
            if getattr(m, 'bias', None) is not None:
                m.bias.data.zero_()
    return model


def evaluate(model, x, y, eps, step, steps, dev):
    model.eval()
    clean = robust = 0
    for i in range(0, len(y), 500):
        xb, yb = x[i:i + 500].to(dev), y[i:i + 500].to(dev)
        with torch.no_grad():
            c = model(xb).argmax(1) == yb
        xa = pgd(model, xb, yb, eps, step, steps, random_start=False)
        with torch.no_grad():
            r = (model(xa).argmax(1) == yb) & c
        clean += c.sum().item()
        robust += r.sum().item()
    return clean / len(y), robust / len(y)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', required=True, help='folder with data_batch_*.bin and test_batch.bin')
    p.add_argument('--init', required=True, help="pretrained weights (.th/.safetensors) or 'random:DEPTH'")
    p.add_argument('--train-size', type=int, default=10000)
    p.add_argument('--epochs', type=float, default=2, help='may be fractional')
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--peak-lr', type=float, default=0.05)
    p.add_argument('--lr-curve', default='0:0,0.5:1,0.7:0.1,1:0')
    p.add_argument('--momentum', type=float, default=0.9)
    p.add_argument('--wd', type=float, default=5e-4)
    p.add_argument('--no-augment', action='store_true')
    p.add_argument('--attack', choices=['pgd', 'fgsm-rs', 'none'], default='pgd')
    p.add_argument('--eps', type=float, default=8, help='eps_max in /255')
    p.add_argument('--step', type=float, default=2, help='PGD step in /255 at eps_max')
    p.add_argument('--steps', type=int, default=7)
    p.add_argument('--eps-curve', default='0:1,1:1')
    p.add_argument('--eval-n', type=int, default=1000)
    p.add_argument('--eval-every', type=int, default=0, help='steps between evaluations (0: start and end only)')
    p.add_argument('--eval-steps', type=int, default=20)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--log', required=True)
    p.add_argument('--out-weights')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    gen = torch.Generator().manual_seed(a.seed)
    lr_pts, eps_pts = curve(a.lr_curve), curve(a.eps_curve)

    if a.init.startswith('random:'):
        model = he_init(ResNet(int(a.init.split(':')[1])), a.seed)
    else:
        model = build(a.init)
    model = model.to(dev)
    xt, yt = load_train(a.data, a.train_size)
    xe, ye = read_cifar(os.path.join(a.data, 'test_batch.bin'), a.eval_n)
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=a.momentum, weight_decay=a.wd)
    per_epoch = max(1, a.train_size // a.batch)
    total = max(1, round(per_epoch * a.epochs))
    ev = dict(eps=8 / 255, step=2 / 255, steps=a.eval_steps, dev=dev)
    history, started, train_s, losses = [], time.time(), 0.0, []

    def save(status):
        # Written at every evaluation, so a run stopped at a deadline leaves the points it reached.
        out = {'args': vars(a), 'status': status, 'totalSteps': total, 'imagesSeen': (history[-1]['step'] if history else 0) * a.batch, 'history': history, 'seconds': time.time() - started, 'device': str(dev)}
        with open(a.log + '.tmp', 'w') as f:
            json.dump(out, f, indent=1)
        os.replace(a.log + '.tmp', a.log)

    def record(step):
        c, r = evaluate(model, xe, ye, **ev)
        history.append({'step': step, 'epoch': step / per_epoch, 'clean': c, 'robust': r, 'trainLoss': float(np.mean(losses)) if losses else None, 'trainSeconds': train_s})
        losses.clear()
        print(f'step {step}/{total}: clean {100 * c:.2f} %  PGD-{a.eval_steps} {100 * r:.2f} %  ({train_s:.0f} s training)', file=sys.stderr, flush=True)
        save('running')

    record(0)
    perm = torch.randperm(a.train_size, generator=gen)
    status = 'done'
    for step in range(total):
        t0 = time.time()
        k = step % per_epoch
        if step > 0 and k == 0:
            perm = torch.randperm(a.train_size, generator=gen)
        idx = perm[k * a.batch:(k + 1) * a.batch]
        x = xt[idx]
        if not a.no_augment:
            x = augment(x, gen)
        x, y = x.to(dev), yt[idx].to(dev)
        t = (step + 0.5) / total
        e = at(eps_pts, t)
        model.eval()
        if a.attack == 'pgd':
            x = pgd(model, x, y, a.eps * e / 255, a.step * e / 255, a.steps, gen=gen)
        elif a.attack == 'fgsm-rs':
            x = pgd(model, x, y, a.eps * e / 255, 1.25 * a.eps * e / 255, 1, gen=gen)
        model.train()
        for group in opt.param_groups:
            group['lr'] = a.peak_lr * at(lr_pts, t)
        loss = F.cross_entropy(model(x), y)
        if not math.isfinite(loss.item()):
            status = 'diverged'
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        train_s += time.time() - t0
        if a.eval_every and (step + 1) % a.eval_every == 0 and step + 1 != total:
            record(step + 1)
    record(total if status == 'done' else step)
    if a.out_weights:
        write_safetensors(a.out_weights, {k: v.cpu() for k, v in model.state_dict().items()})
    save(status)  # last: the log says the run is over only once its weights are written


if __name__ == '__main__':
    main()
