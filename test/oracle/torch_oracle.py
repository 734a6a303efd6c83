"""Independent PyTorch reference for advtune's numbers (Debian python3-torch; CPU, or CUDA).

The CIFAR ResNet of akamaster/pytorch_resnet_cifar10 written out again in PyTorch, loaded from
the same files the app loads, evaluated on the same CIFAR-10 binary files. Subcommands:
  logits   --weights W --data test_batch.bin --n N --out logits.f32     raw float32 [N,10]
  pgd      --weights W --data test_batch.bin --n N --eps E --step S --steps K   (no random start)
  apgd     --weights W --data test_batch.bin --n N --eps E --steps K --seed SEED
           APGD-CE (Croce & Hein 2020) with K iterations, started where advtune's evaluate()
           with this seed starts it
  accuracy --weights W --data test_batch.bin --n N
  train    --weights W --data test_batch.bin --n N --lr LR --momentum M --wd WD --steps K --out S
           K clean SGD steps on the first N images (BatchNorm in train mode), state_dict → S
Every subcommand takes --device (cpu, the default, or cuda) and --threads (CPU threads).
Weights: .safetensors (read with json+struct, no extra package) or a torch.save file.
Prints one JSON object on stdout. Importable without side effects: build, read_cifar, pgd, apgd_ce.
"""
import argparse, json, struct, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.pad = (cout - cin) // 2 if (stride != 1 or cin != cout) else None

    def forward(self, x):
        o = F.relu(self.bn1(self.conv1(x)))
        o = self.bn2(self.conv2(o))
        s = x if self.pad is None else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(o + s)


class ResNet(nn.Module):
    def __init__(self, depth):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        cin, layers = 16, []
        for i, (c, s) in enumerate([(16, 1), (32, 2), (64, 2)]):
            blocks = []
            for b in range(n):
                blocks.append(Block(cin, c, s if b == 0 else 1))
                cin = c
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.linear = nn.Linear(64, 10)
        self.register_buffer('mean', torch.tensor(MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, x):  # x: [B,3,32,32] pixels in [0,1]
        h = F.relu(self.bn1(self.conv1((x - self.mean) / self.std)))
        h = self.layer3(self.layer2(self.layer1(h)))
        return self.linear(F.adaptive_avg_pool2d(h, 1).flatten(1))


def read_safetensors(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    header = json.loads(b[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        s, e = info['data_offsets']
        dt = {'F32': np.float32, 'I64': np.int64, 'F64': np.float64}[info['dtype']]
        arr = np.frombuffer(b[8 + n + s:8 + n + e], dtype=dt).reshape(info['shape'])
        out[name] = torch.from_numpy(arr.copy())
    return out


def load_weights(path):
    if path.endswith('.safetensors'):
        sd = read_safetensors(path)
    else:
        obj = torch.load(path, map_location='cpu')
        sd = obj.get('state_dict', obj)
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in sd.items()}


def build(path):
    sd = load_weights(path)
    n = 1 + max(int(k.split('.')[1]) for k in sd if k.startswith('layer1.'))
    model = ResNet(6 * n + 2)
    if any(k.endswith('num_batches_tracked') for k in sd):
        model.load_state_dict(sd, strict=True)  # an advtune export must load strictly
    else:
        # The original 2018 checkpoints predate num_batches_tracked; everything else is strict.
        missing, unexpected = model.load_state_dict(sd, strict=False)
        assert not unexpected and all(k.endswith('num_batches_tracked') for k in missing), (missing, unexpected)
    return model.eval()


def read_cifar(path, n):
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 3073)[:n]
    labels = torch.from_numpy(raw[:, 0].astype(np.int64))
    x = torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0)
    return x, labels


def write_safetensors(path, sd):
    header, blobs, offset = {}, [], 0
    for name, t in sd.items():
        a = t.detach().cpu().contiguous().numpy()
        dtype = {np.dtype('float32'): 'F32', np.dtype('int64'): 'I64'}[a.dtype]
        b = a.astype(a.dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def pgd(model, x, y, eps, step, steps, start=None):
    """PGD-k from `start` (default: the clean image), each step projected into the eps-ball and [0, 1]."""
    xa = x.clone() if start is None else start
    for _ in range(steps):
        xa.requires_grad_(True)
        loss = F.cross_entropy(model(xa), y, reduction='sum')
        g, = torch.autograd.grad(loss, xa)
        xa = xa.detach() + step * g.sign()
        xa = torch.min(torch.max(xa, x - eps), x + eps).clamp(0, 1)
    return xa.detach()

# advtune's host RNG (src/core/rng.ts), so that APGD starts from the very points advtune starts
# from: mulberry32, whose state after k draws is seed' + k·0x6D2B79F5 (mod 2³²), so any stretch of
# the stream is computed directly, vectorised.
M32 = 0xFFFFFFFF


def derive_seed(seed, stream):
    """deriveSeed: FNV-1a-style mixing of a named stream into a seed."""
    h = (seed & M32) ^ 0x811C9DC5
    for ch in stream:
        h = ((h ^ ord(ch)) * 0x01000193) & M32
    return h


def mulberry32(seed, first, count):
    """Draws first … first+count−1 (uniform in [0, 1), float64) of createRng(seed)."""
    a0 = (seed & M32) ^ 0x9E3779B9
    k = np.arange(first + 1, first + count + 1, dtype=np.uint64)
    t = (k * np.uint64(0x6D2B79F5) + np.uint64(a0)) & np.uint64(M32)
    t = ((t ^ (t >> np.uint64(15))) * (t | np.uint64(1))) & np.uint64(M32)
    t = (t ^ ((t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & np.uint64(M32))) & np.uint64(M32)))
    return (t ^ (t >> np.uint64(14))).astype(np.float64) / 2.0 ** 32


def apgd_start_noise(seed, first, n, eps):
    """advtune's random start for images first … first+n−1 of an evaluation with this seed
    (restarts = 1): uniform in [−eps, eps], 3072 draws per image in HWC order, as [n, 3, 32, 32]."""
    u = mulberry32(derive_seed(seed, 'eval-attack'), first * 3072, n * 3072)
    noise = ((2 * u - 1) * eps).astype(np.float32).reshape(n, 32, 32, 3).transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(noise))


def apgd_checkpoints(n_iter):
    """w_j = ceil(p_j·n_iter) with p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06),
    p ≤ 1; only those below n_iter (a later one has no step after it), without repeats."""
    p = [0.0, 0.22]
    while p[-1] + max(p[-1] - p[-2] - 0.03, 0.06) <= 1 + 1e-9:
        p.append(p[-1] + max(p[-1] - p[-2] - 0.03, 0.06))
    w = []
    for v in p:
        c = int(np.ceil(v * n_iter - 1e-9))  # 0.22 + 0.19 is 0.41000000000000003
        if c < n_iter and (not w or c > w[-1]):
            w.append(c)
    return w


def apgd_ce(model, x, y, eps, n_iter, seed, first=0, alpha=0.75, rho=0.75):
    """APGD-CE, L∞, untargeted (Croce & Hein 2020, arXiv 2003.01690, Algorithm 1).

    x: [B, 3, 32, 32] pixels in [0, 1] (images first … first+B−1 of the evaluated set), y: [B].
    Starts from a uniform point of the eps-ball (advtune's draws for `seed`, see apgd_start_noise),
    step size 2·eps, momentum alpha; per image, at each checkpoint the step is halved and the
    iterate reset to the best point when fewer than rho of the steps since the last checkpoint
    raised the loss, or when the step was not halved there and the best loss has not risen since.
    Returns per image the first iterate that was misclassified, if any, else the highest-loss one.
    """
    if eps == 0:
        return x.clone()
    lo, hi = x - eps, x + eps

    def clip(v):
        return torch.min(torch.max(v, lo), hi).clamp(0, 1)

    def loss_of(v, want_grad):
        v = v.detach().requires_grad_(want_grad)
        with torch.enable_grad() if want_grad else torch.no_grad():
            out = model(v)
            per_image = F.cross_entropy(out, y, reduction='none')
            g = torch.autograd.grad(per_image.sum(), v)[0] if want_grad else None
        return per_image.detach(), out.argmax(1) != y, g

    B = x.shape[0]
    checks = set(apgd_checkpoints(n_iter)[1:])
    x_k = clip(x + apgd_start_noise(seed, first, B, eps).to(x.device))
    f_k, miss, g_k = loss_of(x_k, n_iter > 0)
    x_prev = None
    x_best, f_best, g_best = x_k.clone(), f_k.clone(), None if g_k is None else g_k.clone()
    x_adv, fooled = x_k.clone(), miss.clone()
    step = torch.full((B,), 2.0 * eps, device=x.device)
    rises = torch.zeros(B, device=x.device)
    halved_at_last = torch.zeros(B, dtype=torch.bool, device=x.device)
    f_best_at_last = f_best.clone()
    last = 0
    for k in range(n_iter):
        z = clip(x_k + step.view(-1, 1, 1, 1) * torch.sign(g_k))
        x_new = z if x_prev is None else clip(x_k + alpha * (z - x_k) + (1 - alpha) * (x_k - x_prev))
        f_new, miss, g_new = loss_of(x_new, k + 1 < n_iter)
        first_miss = miss & ~fooled
        x_adv[first_miss] = x_new[first_miss]
        fooled |= miss
        rises += (f_new > f_k).float()
        up = f_new > f_best
        x_best[up], f_best[up] = x_new[up], f_new[up]
        if g_new is not None:
            g_best[up] = g_new[up]
        x_prev, x_k, f_k, g_k = x_k, x_new, f_new, g_new
        if k + 1 in checks:
            cond1 = rises < rho * (k + 1 - last)
            cond2 = ~halved_at_last & (f_best <= f_best_at_last)
            h = cond1 | cond2
            step[h] /= 2
            x_k, f_k = x_k.clone(), f_k.clone()
            x_k[h], f_k[h] = x_best[h], f_best[h]
            if g_k is not None:
                g_k = g_k.clone()
                g_k[h] = g_best[h]
            halved_at_last, f_best_at_last = h, f_best.clone()
            rises.zero_()
            last = k + 1
    return torch.where(fooled.view(-1, 1, 1, 1), x_adv, x_best).detach()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('cmd', choices=['logits', 'pgd', 'apgd', 'accuracy', 'train'])
    p.add_argument('--lr', type=float, default=0.01)
    p.add_argument('--momentum', type=float, default=0.9)
    p.add_argument('--wd', type=float, default=5e-4)
    p.add_argument('--weights', required=True)
    p.add_argument('--data', required=True)
    p.add_argument('--n', type=int, default=10000)
    p.add_argument('--out')
    p.add_argument('--eps', type=float, default=8 / 255)
    p.add_argument('--step', type=float, default=2 / 255)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--device', default='cpu')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    model = build(a.weights).to(dev)
    x, y = read_cifar(a.data, a.n)
    x, y = x.to(dev), y.to(dev)
    t0 = time.time()
    result = {'n': len(y)}
    if a.cmd == 'logits':
        with torch.no_grad():
            logits = torch.cat([model(x[i:i + 500]) for i in range(0, len(y), 500)])
        logits.cpu().numpy().astype('<f4').tofile(a.out)
        result['accuracy'] = (logits.argmax(1) == y).float().mean().item()
    elif a.cmd == 'accuracy':
        with torch.no_grad():
            pred = torch.cat([model(x[i:i + 500]).argmax(1) for i in range(0, len(y), 500)])
        result['accuracy'] = (pred == y).float().mean().item()
    elif a.cmd == 'train':
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum, weight_decay=a.wd)
        losses = []
        for _ in range(a.steps):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        write_safetensors(a.out, model.state_dict())
        result['losses'] = losses
    else:
        correct_clean = correct_robust = 0
        for i in range(0, len(y), 100):
            xb, yb = x[i:i + 100], y[i:i + 100]
            with torch.no_grad():
                c = model(xb).argmax(1) == yb
            if a.cmd == 'pgd':
                xa = pgd(model, xb, yb, a.eps, a.step, a.steps)
            else:
                xa = apgd_ce(model, xb, yb, a.eps, a.steps, a.seed, first=i)
            with torch.no_grad():
                r = (model(xa).argmax(1) == yb) & c
            correct_clean += c.sum().item()
            correct_robust += r.sum().item()
        result['clean'] = correct_clean / len(y)
        result['robust'] = correct_robust / len(y)
    if dev.type == 'cuda':
        torch.cuda.synchronize()
    result['seconds'] = time.time() - t0
    print(json.dumps(result))


if __name__ == '__main__':
    main()
