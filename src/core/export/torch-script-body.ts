// The Python body of the exported PyTorch training script; torch-script.ts writes the run's
// recipe as constants above it. Kept as Python text so it reads and diffs as the program it is
// (test/oracle/torch-script.test.ts runs it, on one process and under torchrun).

export const TORCH_SCRIPT_BODY = String.raw`
import argparse, json, math, os, pickle, re, struct, sys, time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data.distributed import DistributedSampler

# ---------------------------------------------------------------------------------------------
# Curves: piecewise-linear through control points over progress t in [0, 1], sampled at the
# middle of each optimizer step (advtune's curveAt / progressAt / lrAt / epsAt, same arithmetic).


def curve_at(pts, t):
    u = min(1.0, max(0.0, t))
    i = 1
    # '<=' keeps the right-hand value of a vertical step from the jump onwards
    while i < len(pts) - 1 and pts[i][0] <= u:
        i += 1
    (ta, ya), (tb, yb) = pts[i - 1], pts[i]
    if tb == ta:
        return yb
    return ya + ((u - ta) / (tb - ta)) * (yb - ya)


def progress_at(step, total):
    return 0 if total <= 0 else (step + 0.5) / total


def lr_at(step, total):
    return PEAK_LR * curve_at(LR_CURVE, progress_at(step, total))


def eps255_at(step, total):
    """The training attack's eps at a step, in /255: eps_max x the eps curve."""
    return TRAIN_ATTACK['eps255'] * curve_at(EPS_CURVE, progress_at(step, total))


# ---------------------------------------------------------------------------------------------
# advtune's seeded host RNG (mulberry32, one stream per purpose), so that '--rng advtune' draws
# the very batch order, crops, flips and attack starts the browser draws. The state after k draws
# is a0 + k * 0x6D2B79F5 (mod 2^32): any stretch of a stream is computed directly, vectorised.

M32 = 0xFFFFFFFF


def derive_seed(seed, stream):
    h = (seed & M32) ^ 0x811C9DC5
    for ch in stream:
        h = ((h ^ ord(ch)) * 0x01000193) & M32
    return h


def mulberry32_at(seed, k):
    """Draw number k (1-based, uint64 array) of createRng(seed), uniform in [0, 1), float64."""
    a0 = np.uint64((seed & M32) ^ 0x9E3779B9)
    m = np.uint64(M32)
    t = (k.astype(np.uint64) * np.uint64(0x6D2B79F5) + a0) & m
    t = ((t ^ (t >> np.uint64(15))) * (t | np.uint64(1))) & m
    t = t ^ ((t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & m)) & m)
    return (t ^ (t >> np.uint64(14))).astype(np.float64) / 2.0 ** 32


class Stream:
    """One named stream of the run's seed, read from position pos on."""

    def __init__(self, seed, name):
        self.seed, self.pos = derive_seed(seed, name), 0

    def take(self, count):
        u = mulberry32_at(self.seed, np.arange(self.pos + 1, self.pos + count + 1, dtype=np.uint64))
        self.pos += count
        return u

    def at(self, positions):
        """Draws at absolute 0-based positions, without moving the stream."""
        return mulberry32_at(self.seed, np.asarray(positions, dtype=np.uint64) + np.uint64(1))


def permutation(n, stream):
    """advtune's Fisher-Yates permutation of 0..n-1 (j = floor(u * (i + 1)), i from n-1 down)."""
    p = list(range(n))
    if n < 2:
        return p
    js = np.floor(stream.take(n - 1) * np.arange(n, 1, -1, dtype=np.float64)).astype(np.int64).tolist()
    for k, i in enumerate(range(n - 1, 0, -1)):
        j = js[k]
        p[i], p[j] = p[j], p[i]
    return p


# ---------------------------------------------------------------------------------------------
# CIFAR-10 from the official archives: the python version (cifar-10-batches-py: pickled dicts)
# or the binary version (cifar-10-batches-bin: records of 1 label byte + 3072 planar RGB bytes).

CIFAR_URL = 'https://www.cs.toronto.edu/~kriz/cifar.html'


class Refusal(Exception):
    """Bad input, said in words; the script exits with status 2."""


def find_cifar(folder):
    for d in (folder, os.path.join(folder, 'cifar-10-batches-py'), os.path.join(folder, 'cifar-10-batches-bin')):
        if os.path.isfile(os.path.join(d, 'data_batch_1')) and os.path.isfile(os.path.join(d, 'test_batch')):
            return 'python', d
        if os.path.isfile(os.path.join(d, 'data_batch_1.bin')) and os.path.isfile(os.path.join(d, 'test_batch.bin')):
            return 'binary', d
    what = 'does not exist' if not os.path.isdir(folder) else 'holds neither archive'
    raise Refusal(f"no CIFAR-10 in '{folder}' (it {what}): --data must name the folder of the official python archive "
                  f"(cifar-10-batches-py: data_batch_1 ... data_batch_5, test_batch) or of the binary one "
                  f"(cifar-10-batches-bin: data_batch_1.bin ... test_batch.bin), or the folder holding either; see {CIFAR_URL}")


def read_batch(kind, folder, name):
    """One archive file: uint8 images [N, 3, 32, 32] and int64 labels [N]."""
    path = os.path.join(folder, name + ('.bin' if kind == 'binary' else ''))
    if not os.path.isfile(path):
        raise Refusal(f"'{path}' is missing from the CIFAR-10 folder (the run needs it)")
    if kind == 'binary':
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size == 0 or raw.size % 3073:
            raise Refusal(f"'{path}' is not a CIFAR-10 binary file ({raw.size} bytes is not a multiple of 3073)")
        raw = raw.reshape(-1, 3073)
        labels, data = raw[:, 0].astype(np.int64), raw[:, 1:]
    else:
        try:
            with open(path, 'rb') as f:
                d = pickle.load(f, encoding='bytes')
            d = {(k.decode() if isinstance(k, bytes) else k): v for k, v in d.items()}
            data, labels = np.asarray(d['data'], dtype=np.uint8), np.asarray(d['labels'], dtype=np.int64)
        except Exception as e:
            raise Refusal(f"'{path}' is not a CIFAR-10 python batch ({type(e).__name__}: {e})")
        if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
            raise Refusal(f"'{path}' is not a CIFAR-10 python batch (data of shape {data.shape})")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise Refusal(f"'{path}' has labels outside 0..9: not CIFAR-10")
    return torch.from_numpy(np.ascontiguousarray(data).reshape(-1, 3, 32, 32)), torch.from_numpy(labels)


def load_cifar(folder, train_size, eval_size):
    """The first train_size training images (data_batch_1, 2, ... in order) and the first eval_size test images."""
    kind, d = find_cifar(folder)
    xs, ys = [], []
    for k in range(1, 6):
        if sum(len(y) for y in ys) >= train_size:
            break
        x, y = read_batch(kind, d, f'data_batch_{k}')
        xs.append(x)
        ys.append(y)
    xt, yt = torch.cat(xs)[:train_size], torch.cat(ys)[:train_size]
    xe, ye = read_batch(kind, d, 'test_batch')
    if len(yt) < train_size or len(ye) < eval_size:
        raise Refusal(f"'{d}' holds {len(yt)} training and {len(ye)} test images; the run needs {train_size} and {eval_size}")
    return kind, d, (xt, yt), (xe[:eval_size], ye[:eval_size])


def to_pixels(u8):
    """Bytes to float32 pixels in [0, 1], divided in float64 as advtune divides."""
    return (u8.double() / 255).float()


# ---------------------------------------------------------------------------------------------
# The model: the CIFAR ResNet of He et al. (option-A shortcuts), the input normalisation inside,
# so attacks work on pixels in [0, 1]. BatchNorm's batch statistics span the global batch: with
# several processes they are summed across ranks, so the recipe is the run's for any world size.

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
BN_GROUP = None  # the process group of BatchNorm's reductions (set when distributed)


class GlobalBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d whose train-mode statistics are those of the global batch. The running
    averages are committed only after the step's loss proved finite (commit_running_stats)."""

    def forward(self, x):
        if not self.training:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
        if BN_GROUP is None:
            n = x.numel() // x.shape[1]
            with torch.no_grad():
                self._pending = (x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=True) if n > 1 else x.var((0, 2, 3), unbiased=False))
            return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)
        from torch.distributed.nn.functional import all_reduce
        local = torch.cat([x.sum((0, 2, 3)), x.new_tensor([x.numel() // x.shape[1]])])
        total = all_reduce(local, group=BN_GROUP)
        n = total[-1]
        mean = total[:-1] / n
        centred = x - mean.view(1, -1, 1, 1)
        var = all_reduce(centred.pow(2).sum((0, 2, 3)), group=BN_GROUP) / n
        with torch.no_grad():
            self._pending = (mean.detach().clone(), var.detach() * n / max(n.item() - 1, 1))
        out = centred * torch.rsqrt(var + self.eps).view(1, -1, 1, 1)
        return out * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)

    @torch.no_grad()
    def commit_running_stats(self):
        pending = getattr(self, '_pending', None)
        self._pending = None
        if pending is None or not self.track_running_stats:
            return
        m = self.momentum if self.momentum is not None else 0.1
        self.running_mean.mul_(1 - m).add_(pending[0], alpha=m)
        self.running_var.mul_(1 - m).add_(pending[1], alpha=m)
        self.num_batches_tracked.add_(1)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = GlobalBatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = GlobalBatchNorm2d(cout)
        self.pad = (cout - cin) // 2 if (stride != 1 or cin != cout) else None

    def forward(self, x):
        o = F.relu(self.bn1(self.conv1(x)))
        o = self.bn2(self.conv2(o))
        s = x if self.pad is None else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(o + s)


class CifarResNet(nn.Module):
    def __init__(self, depth, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = GlobalBatchNorm2d(16)
        cin, layers = 16, []
        for c, s in [(16, 1), (32, 2), (64, 2)]:
            blocks = []
            for b in range(n):
                blocks.append(Block(cin, c, s if b == 0 else 1))
                cin = c
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.linear = nn.Linear(64, classes)
        self.register_buffer('mean', torch.tensor(MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, x):  # x: [B, 3, 32, 32] pixels in [0, 1]
        h = F.relu(self.bn1(self.conv1((x - self.mean) / self.std)))
        h = self.layer3(self.layer2(self.layer1(h)))
        return self.linear(F.adaptive_avg_pool2d(h, 1).flatten(1))


class Normalised(nn.Module):
    """Another architecture (--arch) with the same normalisation inside. Its state dict is the
    inner network's, in that library's names."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.register_buffer('mean', torch.tensor(MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, x):
        return self.net((x - self.mean) / self.std)


def global_batchnorm(module):
    """Swaps every BatchNorm2d of a module for GlobalBatchNorm2d (same parameters and names)."""
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d) and not isinstance(child, GlobalBatchNorm2d):
            g = GlobalBatchNorm2d(child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats)
            g.load_state_dict(child.state_dict())
            setattr(module, name, g)
        else:
            global_batchnorm(child)
    return module


def build_model(arch):
    m = re.fullmatch(r'resnet(\d+)', arch)
    if m and (int(m.group(1)) - 2) % 6 == 0:
        return CifarResNet(int(m.group(1)))
    lib, _, name = arch.partition(':')
    if lib == 'torchvision':
        import torchvision
        net = torchvision.models.get_model(name, num_classes=10) if hasattr(torchvision.models, 'get_model') else getattr(torchvision.models, name)(num_classes=10)
    elif lib == 'timm':
        import timm
        net = timm.create_model(name, num_classes=10)
    else:
        raise Refusal(f"unknown --arch '{arch}': a CIFAR ResNet (resnet20, resnet32, resnet44, resnet56, ...), 'torchvision:NAME' or 'timm:NAME'")
    return Normalised(global_batchnorm(net))


def state_module(model):
    return model.net if isinstance(model, Normalised) else model


# ---------------------------------------------------------------------------------------------
# Weights: safetensors read and written here (json + struct, no extra package), or torch.save
# files (the pretrained .th). Loading is strict: every missing, unexpected or mis-shaped tensor
# is named. The 2018 pretrained checkpoints predate num_batches_tracked; that alone may be absent.

SAFETENSORS_DTYPES = {'F32': np.float32, 'F64': np.float64, 'F16': np.float16, 'I64': np.int64, 'I32': np.int32}


def read_safetensors(path):
    with open(path, 'rb') as f:
        b = f.read()
    if len(b) < 8:
        raise Refusal(f"'{path}' is not a safetensors file (too short)")
    n = struct.unpack('<Q', b[:8])[0]
    try:
        header = json.loads(b[8:8 + n])
    except Exception:
        raise Refusal(f"'{path}' is not a safetensors file (no JSON header)")
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        s, e = info['data_offsets']
        dt = SAFETENSORS_DTYPES.get(info['dtype'])
        if dt is None:
            raise Refusal(f"'{path}': tensor {name} has dtype {info['dtype']}, which this script does not read")
        arr = np.frombuffer(b[8 + n + s:8 + n + e], dtype=np.dtype(dt).newbyteorder('<')).reshape(info['shape'])
        out[name] = torch.from_numpy(arr.astype(dt))
    return out


def write_safetensors(path, sd, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = {k: str(v) for k, v in metadata.items()}
    for name, t in sd.items():
        a = t.detach().cpu().contiguous().numpy()
        dtype = {np.dtype('float32'): 'F32', np.dtype('int64'): 'I64', np.dtype('float64'): 'F64', np.dtype('float16'): 'F16'}[a.dtype]
        raw = a.astype(a.dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode()
    h += b' ' * (-len(h) % 8)
    tmp = path + '.part'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
    os.replace(tmp, path)


def read_weights(path):
    if not os.path.isfile(path):
        raise Refusal(f"--init '{path}' does not exist")
    with open(path, 'rb') as f:
        head = f.read(9)
    if len(head) == 9 and head[8:9] == b'{':
        sd = read_safetensors(path)
    else:
        try:
            obj = torch.load(path, map_location='cpu')
        except Exception as e:
            raise Refusal(f"'{path}' is neither a safetensors file nor a torch.save checkpoint ({type(e).__name__}: {e})")
        sd = obj.get('state_dict', obj) if isinstance(obj, dict) else None
        if not isinstance(sd, dict):
            raise Refusal(f"'{path}' holds no state dict")
    return {(k[len('module.'):] if k.startswith('module.') else k): v for k, v in sd.items()}


def names_list(names, limit=12):
    names = sorted(names)
    return ', '.join(names[:limit]) + (f' and {len(names) - limit} more' if len(names) > limit else '')


def load_strict(model, path, arch):
    sd = read_weights(path)
    target = state_module(model).state_dict()
    missing = [k for k in target if k not in sd and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in sd if k not in target]
    shapes = [f'{k} {tuple(sd[k].shape)} (expected {tuple(target[k].shape)})' for k in target if k in sd and tuple(sd[k].shape) != tuple(target[k].shape)]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f'missing: {names_list(missing)}')
        if unexpected:
            parts.append(f'unexpected: {names_list(unexpected)}')
        if shapes:
            parts.append(f'wrong shapes: {names_list(shapes, 6)}')
        raise Refusal(f"'{path}' does not fit {arch} ({'; '.join(parts)}); pass the run's own weights, or --arch for another architecture")
    full = {k: (sd[k] if k in sd else target[k]) for k in target}
    state_module(model).load_state_dict({k: v.to(target[k].dtype) for k, v in full.items()}, strict=True)


def random_init(model, seed):
    """advtune's from-scratch start: He-normal convolutions and linear weights (std sqrt(2 / fan_in),
    Box-Muller on the run's 'init' stream, in state-dict order), BatchNorm 1/0, biases 0."""
    stream = Stream(seed, 'init')
    with torch.no_grad():
        for name, t in state_module(model).state_dict().items():
            leaf = name.rsplit('.', 1)[-1]
            is_bn = re.search(r'(^|\.)bn\d\.', name) is not None
            if not is_bn and leaf == 'weight':
                n = t.numel()
                u = stream.take(2 * n).reshape(n, 2)
                z = np.sqrt(-2 * np.log(1 - u[:, 0])) * np.cos(2 * np.pi * u[:, 1])
                t.copy_(torch.from_numpy((z * math.sqrt(2 / (n / t.shape[0]))).astype(np.float32)).view_as(t))
            elif (is_bn and leaf == 'weight') or leaf == 'running_var':
                t.fill_(1)
            else:
                t.zero_()


# ---------------------------------------------------------------------------------------------
# Attacks (L-inf, pixel space), on the model in eval mode. Random starts: uniform in the eps-ball,
# drawn per image in HWC order (advtune's layout) and clipped into the ball and [0, 1].


def project(xa, lo, hi):
    return torch.min(torch.max(xa, lo), hi).clamp(0, 1)


def start_from_noise(x, noise_hwc, eps):
    """noise_hwc: float64 uniform draws in [0, 1), [B, 32, 32, 3]."""
    noise = torch.from_numpy(((2 * noise_hwc - 1) * eps).astype(np.float32)).permute(0, 3, 1, 2).to(x.device)
    return project(x + noise, x - eps, x + eps)


def input_grad(model, xa, y):
    xa = xa.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = F.cross_entropy(model(xa), y, reduction='sum')  # summed: each image's step is its own
        g, = torch.autograd.grad(loss, xa)
    return g


def pgd_from(model, x, y, start, eps, step, steps):
    lo, hi = x - eps, x + eps
    xa = start
    for _ in range(steps):
        xa = project(xa + step * input_grad(model, xa, y).sign(), lo, hi).detach()
    return xa


def apgd_checkpoints(n_iter):
    p = [0.0, 0.22]
    while p[-1] < 1:
        p.append(p[-1] + max(p[-1] - p[-2] - 0.03, 0.06))
    w = []
    for q in p:
        c = math.ceil(q * n_iter)
        if c > n_iter:
            break
        if not w or c != w[-1]:
            w.append(c)
    return w


def apgd_ce(model, x, y, eps, n_iter, start, alpha=0.75, rho=0.75):
    """APGD-CE, L-inf (Croce & Hein 2020, Algorithm 1), from start: step 2 eps, momentum alpha,
    step halved at the checkpoints; per image the first misclassified iterate, else the best."""
    lo, hi = x - eps, x + eps

    def loss_of(v, want_grad):
        v = v.detach().requires_grad_(want_grad)
        with torch.enable_grad() if want_grad else torch.no_grad():
            out = model(v)
            per_image = F.cross_entropy(out, y, reduction='none')
            g = torch.autograd.grad(per_image.sum(), v)[0] if want_grad else None
        return per_image.detach(), out.argmax(1) != y, g

    B = x.shape[0]
    checks = set(apgd_checkpoints(n_iter)[1:])
    x_k = start
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
        z = project(x_k + step.view(-1, 1, 1, 1) * torch.sign(g_k), lo, hi)
        x_new = z if x_prev is None else project(x_k + alpha * (z - x_k) + (1 - alpha) * (x_k - x_prev), lo, hi)
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
            h = (rises < rho * (k + 1 - last)) | (~halved_at_last & (f_best <= f_best_at_last))
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


def eval_attack(model, x, y, stream):
    """The evaluation attack on a batch, restarts included: per image the first restart that fools
    the model (the last restart's result if none does)."""
    a = EVAL_ATTACK
    eps = a['eps255'] / 255
    if eps == 0:
        return x.clone()
    if a['kind'] == 'fgsm':
        return project(x + eps * input_grad(model, x, y).sign(), x - eps, x + eps).detach()

    def run():
        B = x.shape[0]
        if a['kind'] == 'apgd-ce':
            return apgd_ce(model, x, y, eps, a['steps'], start_from_noise(x, stream.take(B * 3072).reshape(B, 32, 32, 3), eps))
        start = start_from_noise(x, stream.take(B * 3072).reshape(B, 32, 32, 3), eps) if a['randomStart'] else x.clone()
        return pgd_from(model, x, y, start, eps, a['stepSize255'] / 255, a['steps'])

    best = run()
    for _ in range(1, a['restarts']):
        with torch.no_grad():
            fooled = model(best).argmax(1) != y
        if bool(fooled.all()):
            break
        best = torch.where(fooled.view(-1, 1, 1, 1), best, run())
    return best


@torch.no_grad()
def evaluate(model, xe, ye, device, batch=100):
    """Clean and robust accuracy (robust: correct both clean and attacked), per class too."""
    model.eval()
    stream = Stream(SEED, 'eval-attack')  # the same starts at every evaluation, so points compare
    total, clean, robust = [0] * 10, [0] * 10, [0] * 10
    for i in range(0, len(ye), batch):
        x, y = to_pixels(xe[i:i + batch]).to(device), ye[i:i + batch].to(device)
        adv = eval_attack(model, x, y, stream)
        c = model(x).argmax(1) == y
        r = (model(adv).argmax(1) == y) & c
        for k in range(10):
            sel = y == k
            total[k] += int(sel.sum())
            clean[k] += int((c & sel).sum())
            robust[k] += int((r & sel).sum())
    n = len(ye)
    return {'clean': sum(clean) / n, 'robust': sum(robust) / n, 'perClassClean': [c / t if t else 0 for c, t in zip(clean, total)],
            'perClassRobust': [r / t if t else 0 for r, t in zip(robust, total)], 'evalSize': n}


# ---------------------------------------------------------------------------------------------
# The data order: each epoch one permutation of the training subset, the last partial global
# batch dropped. Rank r of W takes positions r, r + W, r + 2W, ... of the epoch's used positions,
# so step k's global batch is positions [k B, (k + 1) B) on any number of processes.


class RunSampler(DistributedSampler):
    def __init__(self, n, per_epoch, batch, world, rank, rng):
        super().__init__(range(n), num_replicas=world, rank=rank, shuffle=True, seed=SEED, drop_last=True)
        self.n, self.used, self.rng = n, per_epoch * batch, rng
        self.num_samples, self.total_size = self.used // world, self.used
        self.order = Stream(SEED, 'order') if rng == 'advtune' else None
        self.perm_epoch = -1

    def epoch_order(self):
        """The whole epoch's permutation (same on every rank)."""
        if self.order is not None:
            # advtune draws one permutation per epoch from a single stream, in order
            while self.perm_epoch < self.epoch:
                self.perm = permutation(self.n, self.order)
                self.perm_epoch += 1
            return self.perm
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        return torch.randperm(self.n, generator=g).tolist()

    def __iter__(self):
        return iter(self.epoch_order()[:self.used][self.rank:self.used:self.num_replicas])

    def __len__(self):
        return self.num_samples


def augment(x, positions, stream, gen):
    """Random crop from the 4-pixel zero-padded image, then a horizontal flip with probability 1/2.
    advtune's draws: 3 per image of the global batch (dy, dx, flip), at the image's position."""
    b = x.shape[0]
    if stream is not None:
        u = stream.at((np.asarray(positions, dtype=np.int64)[:, None] * 3 + np.arange(3)).reshape(-1)).reshape(b, 3)
        dy = np.floor(u[:, 0] * 9).astype(np.int64) - 4
        dx = np.floor(u[:, 1] * 9).astype(np.int64) - 4
        flip = u[:, 2] < 0.5
    else:
        dy = torch.randint(-4, 5, (b,), generator=gen).numpy()
        dx = torch.randint(-4, 5, (b,), generator=gen).numpy()
        flip = (torch.rand(b, generator=gen) < 0.5).numpy()
    padded = F.pad(x, (4, 4, 4, 4))
    out = torch.empty_like(x)
    for i in range(b):
        img = padded[i, :, 4 + dy[i]:36 + dy[i], 4 + dx[i]:36 + dx[i]]
        out[i] = img.flip(2) if flip[i] else img
    return out


# ---------------------------------------------------------------------------------------------


def slug(s):
    return re.sub(r'(^-+|-+$)', '', re.sub(r'[^a-z0-9.]+', '-', s.lower())) or 'run'


def parse_args(argv):
    a = TRAIN_ATTACK
    attack = 'no training attack (clean images)' if a['kind'] == 'none' else (f"FGSM with random start (step 1.25 eps)" if a['kind'] == 'fgsm-rs' else f"PGD-{a['steps']} (step {a['stepSize255']}/255 at eps_max)")
    p = argparse.ArgumentParser(
        prog=os.path.basename(sys.argv[0]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"""Adversarial fine-tuning as advtune's run '{RUN_NAME}' trained it, in PyTorch.

Recipe (the constants at the top of this file): {MODEL}, {EPOCHS} epochs over the first {TRAIN_SIZE} CIFAR-10
training images, global batch {BATCH_SIZE} (last partial batch dropped), SGD momentum {MOMENTUM}, weight
decay {WEIGHT_DECAY}, LR = {PEAK_LR} x LR_CURVE at each step's midpoint, training attack {attack} at
eps = {a['eps255']}/255 x EPS_CURVE, evaluation {EVAL_LABEL} on the first {EVAL_SIZE} test images every
{EVAL_EVERY} steps and at the end. BatchNorm trains on the global batch's statistics.

One process:   python3 {os.path.basename(sys.argv[0])} --data /path/cifar-10-batches-py --init WEIGHTS
Several:       torchrun --nproc_per_node=8 {os.path.basename(sys.argv[0])} --data ... --init ...
(DistributedDataParallel: nccl on GPUs, gloo on CPUs; each rank takes BATCH/world images of every
global batch; rank 0 evaluates and writes the files.)""",
        epilog="""Writes into --out: STEM-stepN.safetensors at every evaluation, STEM.safetensors at the end
(PyTorch state-dict names; advtune imports them), and STEM.history.json, rewritten at every
evaluation: drop it on advtune's run list (Import history) to compare the run with browser runs.
Exit status 2: bad input (the message says which); 3: the training loss became non-finite.""")
    p.add_argument('--data', required=True, help='folder of CIFAR-10: the official python archive (cifar-10-batches-py) or the binary one (cifar-10-batches-bin), or the folder holding either')
    p.add_argument('--init', help=f"weights to start from: .safetensors (advtune's download, or this script's) or a torch.save file (the pretrained .th); {INIT_HINT}")
    p.add_argument('--arch', default=MODEL, help=f"the network: {MODEL} (the run's, default), another CIFAR ResNet (resnet20/32/44/56/110), 'torchvision:NAME' or 'timm:NAME' (10 classes; needs that package)")
    p.add_argument('--out', default='.', help='folder for checkpoints and the history (default: the current one)')
    p.add_argument('--name', default=None, help=f"the run's name in the history (default: '{RUN_NAME} (PyTorch)'); files are named advtune_<name>")
    p.add_argument('--epochs', type=int, default=EPOCHS, help=f'passes over the training subset (default {EPOCHS}); the curves stretch over the new length')
    p.add_argument('--train-size', type=int, default=TRAIN_SIZE, help=f'training images, the first N of the training set (default {TRAIN_SIZE}; 50000 for all)')
    p.add_argument('--eval-size', type=int, default=EVAL_SIZE, help=f'test images of each evaluation, the first N (default {EVAL_SIZE})')
    p.add_argument('--eval-every', type=int, default=EVAL_EVERY, help=f'optimizer steps between evaluations (default {EVAL_EVERY}; one at the start and one at the end always)')
    p.add_argument('--rng', choices=['advtune', 'torch'], default='advtune', help="'advtune' (default): the browser's seeded streams, so data order, crops, flips and attack starts are advtune's own for the seed; 'torch': torch generators (on the device)")
    p.add_argument('--seed', type=int, default=SEED, help=f"the seed of every random stream (default {SEED}, the run's)")
    p.add_argument('--device', default='auto', help="'auto' (default: each rank's GPU if there is one, else CPU), 'cpu' or 'cuda'")
    p.add_argument('--threads', type=int, default=0, help='CPU threads per process (default: torch chooses)')
    return p.parse_args(argv)


def main(argv=None):
    global SEED, BN_GROUP
    args = parse_args(argv)
    SEED = args.seed
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    world = int(os.environ.get('WORLD_SIZE', '1'))
    rank = int(os.environ.get('RANK', '0'))
    local_rank = int(os.environ.get('LOCAL_RANK', '0'))
    want_cuda = args.device == 'cuda' or (args.device == 'auto' and torch.cuda.is_available())
    device = torch.device(f'cuda:{local_rank}' if want_cuda else 'cpu')
    if want_cuda:
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group(backend='nccl' if want_cuda else 'gloo')
        BN_GROUP = dist.new_group()

    def say(msg):
        if rank == 0:
            print(msg, flush=True)

    try:
        for flag, v in [('--epochs', args.epochs), ('--train-size', args.train_size), ('--eval-size', args.eval_size), ('--eval-every', args.eval_every)]:
            if v < 1:
                raise Refusal(f'{flag} must be at least 1')
        if BATCH_SIZE > args.train_size:
            raise Refusal(f'the batch ({BATCH_SIZE}) is larger than the training subset ({args.train_size})')
        if BATCH_SIZE % world:
            raise Refusal(f'the global batch {BATCH_SIZE} does not split over {world} processes: use a process count that divides it')
        kind, folder, (xt, yt), (xe, ye) = load_cifar(args.data, args.train_size, args.eval_size)
        model = build_model(args.arch)
        if args.init:
            load_strict(model, args.init, args.arch)
        elif INIT == 'random' and args.arch == MODEL:
            random_init(model, SEED)
        else:
            raise Refusal(f'--init is required: {INIT_HINT}')
    except Refusal as e:
        if rank == 0:
            print(f'error: {e}', file=sys.stderr, flush=True)
        if world > 1:
            dist.destroy_process_group()
        sys.exit(2)

    model = model.to(device)
    net = model  # the attack and the evaluation run on the bare module, in eval mode
    ddp = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if want_cuda else None, broadcast_buffers=False) if world > 1 else model
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    bns = [m for m in model.modules() if isinstance(m, GlobalBatchNorm2d)]
    B, b = BATCH_SIZE, BATCH_SIZE // world
    per_epoch = max(1, args.train_size // B)
    total = per_epoch * args.epochs
    sampler = RunSampler(args.train_size, per_epoch, B, world, rank, args.rng)
    aug_stream = Stream(SEED, 'augment') if args.rng == 'advtune' else None
    attack_stream = Stream(SEED, 'train-attack') if args.rng == 'advtune' else None
    gen = torch.Generator().manual_seed(SEED * 7919 + rank)
    dev_gen = torch.Generator(device=device).manual_seed(SEED * 104729 + rank)
    attack_drawn = 0  # draws of the attack stream so far (the whole global batch's per attacked step)

    name = args.name or f'{RUN_NAME} (PyTorch)'
    stem = f'advtune_{slug(name)}'
    os.makedirs(args.out, exist_ok=True)
    config = dict(CONFIG, model=args.arch, epochs=args.epochs, trainSize=args.train_size, evalSize=args.eval_size, evalEvery=args.eval_every, seed=SEED)
    history = {'format': 'advtune-run-history', 'version': 1, 'appVersion': APP_VERSION,
               'producer': {'name': 'advtune PyTorch script', 'script': os.path.basename(sys.argv[0]), 'torch': torch.__version__, 'worldSize': world,
                            'device': str(device) if not want_cuda else torch.cuda.get_device_name(device), 'backend': dist.get_backend() if world > 1 else None,
                            'data': f'{kind} archive', 'init': os.path.basename(args.init) if args.init else 'random', 'rng': args.rng, 'fromRun': RUN_ID},
               'run': {'id': f'{RUN_ID}-torch-{int(time.time())}', 'name': name, 'status': 'running', 'reason': None,
                       'createdAt': time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime()), 'wallMs': None},
               'base': dict(BASE, model=args.arch), 'config': config, 'schedule': [{'t': t, 'y': y} for t, y in LR_CURVE],
               'labels': LABELS, 'totalSteps': total, 'evals': [], 'strongEval': None, 'steps': []}
    state = {'lr': 0.0, 'losses': [], 'wall': 0.0}

    def save_history(status, reason=None):
        history['run'].update(status=status, reason=reason, wallMs=round(state['wall'] * 1000))
        tmp = os.path.join(args.out, stem + '.history.json.part')
        with open(tmp, 'w') as f:
            json.dump(history, f, indent=1)
        os.replace(tmp, os.path.join(args.out, stem + '.history.json'))

    def checkpoint(path, step):
        write_safetensors(path, state_module(net).state_dict(), {'run': name, 'step': step, 'arch': args.arch})

    def record(step):
        if rank == 0:
            r = evaluate(net, xe, ye, device)
            losses = state['losses']
            history['evals'].append(dict(step=step, epoch=step / per_epoch, lr=state['lr'], trainLoss=sum(losses) / len(losses) if losses else None,
                                         clean=r['clean'], robust=r['robust'], perClassClean=r['perClassClean'], perClassRobust=r['perClassRobust'],
                                         evalSize=r['evalSize'], elapsedMs=round(state['wall'] * 1000)))
            print(f"step {step}/{total}  clean {100 * r['clean']:.2f} %  robust {100 * r['robust']:.2f} % ({EVAL_LABEL}, {r['evalSize']} images)  "
                  f"{state['wall']:.1f} s training", flush=True)
            if step > 0:
                checkpoint(os.path.join(args.out, f'{stem}-step{step}.safetensors'), step)
            save_history('running')
        state['losses'] = []
        if world > 1:
            dist.barrier()

    say(f"{name}: {args.arch}, {total} steps of {B} images on {world} process{'es' if world > 1 else ''} ({device}), CIFAR-10 {kind} archive in {folder}")
    record(0)
    status, reason = 'done', None
    order = []
    for step in range(total):
        t0 = time.time()
        k = step % per_epoch
        if k == 0:
            sampler.set_epoch(step // per_epoch)
            order = list(sampler)
        idx = order[k * b:(k + 1) * b]
        pos = [rank + world * i for i in range(b)]  # this rank's places in the global batch
        x = to_pixels(xt[idx])
        if AUGMENT:
            x = augment(x, [step * B + p for p in pos], aug_stream, gen)
        x, y = x.to(device), yt[idx].to(device)

        # The training attack, eps and the PGD step scaled by the eps curve, on the model in eval mode.
        a = TRAIN_ATTACK
        e255 = eps255_at(step, total)
        scale = e255 / a['eps255'] if a['eps255'] > 0 else 0
        eps = e255 / 255
        if a['kind'] != 'none' and eps != 0:
            step_size = 1.25 * eps if a['kind'] == 'fgsm-rs' else a['stepSize255'] * scale / 255
            steps = 1 if a['kind'] == 'fgsm-rs' else a['steps']
            if attack_stream is not None:
                u = attack_stream.at((attack_drawn + np.asarray(pos, dtype=np.int64)[:, None] * 3072 + np.arange(3072)).reshape(-1)).reshape(b, 32, 32, 3)
                start = start_from_noise(x, u, eps)
            else:
                start = project(x + (torch.rand(x.shape, generator=dev_gen, device=device) * 2 - 1) * eps, x - eps, x + eps)
            attack_drawn += B * 3072
            net.eval()
            x = pgd_from(net, x, y, start, eps, step_size, steps)

        # One SGD step on the (adversarial) batch, BatchNorm in train mode.
        lr = lr_at(step, total)
        for g in opt.param_groups:
            g['lr'] = lr
        model.train()
        loss = F.cross_entropy(ddp(x), y)
        global_loss = loss.detach().clone()
        if world > 1:
            dist.all_reduce(global_loss)
            global_loss /= world
        loss_value = global_loss.item()
        if not math.isfinite(loss_value):
            status, reason = 'diverged', f'the training loss became {loss_value} at step {step + 1} (lr {lr:.3g}); the weights are those before that step'
            say(reason)
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        for m in bns:
            m.commit_running_stats()
        state['wall'] += time.time() - t0
        state['lr'] = lr
        state['losses'].append(loss_value)
        history['steps'].append({'step': step + 1, 'epoch': (step + 1) / per_epoch, 'lr': lr, 'eps255': 0 if a['kind'] == 'none' else e255, 'loss': loss_value})
        if (step + 1) % args.eval_every == 0 or step + 1 == total:
            record(step + 1)
    if status != 'done' and state['losses']:
        record(len(history['steps']))  # every rank: the evaluation ends at a barrier
    if rank == 0:
        checkpoint(os.path.join(args.out, f'{stem}.safetensors'), len(history['steps']))
        save_history(status, reason)
        say(f"wrote {os.path.join(args.out, stem + '.safetensors')} and {stem}.history.json")
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    if status == 'diverged':
        sys.exit(3)


if __name__ == '__main__':
    main()
`
