"""Independent PyTorch reference for advtune's numbers (Debian python3-torch, CPU).

The CIFAR ResNet of akamaster/pytorch_resnet_cifar10 written out again in PyTorch, loaded from
the same files the app loads, evaluated on the same CIFAR-10 binary files. Subcommands:
  logits   --weights W --data test_batch.bin --n N --out logits.f32     raw float32 [N,10]
  pgd      --weights W --data test_batch.bin --n N --eps E --step S --steps K   (no random start)
  accuracy --weights W --data test_batch.bin --n N
  train    --weights W --data test_batch.bin --n N --lr LR --momentum M --wd WD --steps K --out S
           K clean SGD steps on the first N images (BatchNorm in train mode), state_dict → S
Weights: .safetensors (read with json+struct, no extra package) or a torch.save file.
Prints one JSON object on stdout.
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
        a = t.detach().contiguous().numpy()
        dtype = {np.dtype('float32'): 'F32', np.dtype('int64'): 'I64'}[a.dtype]
        b = a.astype(a.dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def pgd(model, x, y, eps, step, steps):
    xa = x.clone()
    for _ in range(steps):
        xa.requires_grad_(True)
        loss = F.cross_entropy(model(xa), y, reduction='sum')
        g, = torch.autograd.grad(loss, xa)
        xa = xa.detach() + step * g.sign()
        xa = torch.min(torch.max(xa, x - eps), x + eps).clamp(0, 1)
    return xa.detach()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('cmd', choices=['logits', 'pgd', 'accuracy', 'train'])
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
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model = build(a.weights)
    x, y = read_cifar(a.data, a.n)
    t0 = time.time()
    result = {'n': len(y)}
    if a.cmd == 'logits':
        with torch.no_grad():
            logits = torch.cat([model(x[i:i + 500]) for i in range(0, len(y), 500)])
        logits.numpy().astype('<f4').tofile(a.out)
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
            xa = pgd(model, xb, yb, a.eps, a.step, a.steps)
            with torch.no_grad():
                r = (model(xa).argmax(1) == yb) & c
            correct_clean += c.sum().item()
            correct_robust += r.sum().item()
        result['clean'] = correct_clean / len(y)
        result['robust'] = correct_robust / len(y)
    result['seconds'] = time.time() - t0
    print(json.dumps(result))


if __name__ == '__main__':
    main()
