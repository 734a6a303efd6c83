// readCheckpoint: format sniffing by content, unwrapping of training-script nesting, the DataParallel
// prefix, and the messages for files that are not checkpoints at all.

import { join } from 'node:path'
import { zipSync } from 'fflate'
import { beforeAll, describe, expect, it } from 'vitest'
import { detectCheckpointFormat, parseSafetensors, readCheckpoint, serializeSafetensors } from '../../../src/core/checkpoint'
import { modelFromCheckpoint, specForStateDict, stateDictFromModel } from '../../../src/core/model/weights'
import { createRng } from '../../../src/core/rng'
import type { StateDict } from '../../../src/core/tensors'
import { useWasm } from '../../helpers/engine'
import { checkpointError, expectSameTensors, ORIGINAL_DIR, PRETRAINED_DIR, python, readBytes, tempDir } from './helpers'

const RESNET20_TH = join(ORIGINAL_DIR, 'resnet20-12fca82f.th')
const NOT_A_CHECKPOINT = "'x.bin' is not a PyTorch checkpoint or safetensors file: "

describe('readCheckpoint', () => {
  let dir: string
  beforeAll(() => {
    dir = tempDir()
    python(
      `
import torch, os, sys, collections
d = sys.argv[1]
w = {'module.fc.weight': torch.arange(6.).view(2, 3), 'module.fc.bias': torch.tensor([1., 2.])}
for key in ('state_dict', 'model', 'model_state_dict', 'net'):
    torch.save({'epoch': 7, 'acc': 91.5, key: collections.OrderedDict(w)}, os.path.join(d, key + '.pt'))
torch.save({'outer': 1, 'state_dict': {'model': w}}, os.path.join(d, 'twice.pt'))
torch.save(w, os.path.join(d, 'flat.pt'))
torch.save({'module.fc.weight': w['module.fc.weight'], 'head.bias': w['module.fc.bias']}, os.path.join(d, 'mixed.pt'))
torch.save({'epoch': 7, 'args': {'lr': 0.1}}, os.path.join(d, 'notensors.pt'))
torch.save(torch.ones(2), os.path.join(d, 'tensor.pt'))

# The layout of widely used training scripts (pytorch/examples' ImageNet main.py): the weights beside
# the epoch, the architecture, a metric saved as a 0-d tensor, and the optimizer with its momenta.
sd = torch.load(sys.argv[2], map_location='cpu')['state_dict']  # ResNet-20, names with 'module.'
torch.save(sd, os.path.join(d, 'plain.pt'))
params = [torch.nn.Parameter(v.clone()) for k, v in sd.items() if k.endswith(('weight', 'bias'))]
opt = torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-4)
for p in params: p.grad = torch.ones_like(p)
opt.step()
train = {'epoch': 90, 'arch': 'resnet20', 'state_dict': sd, 'best_acc1': torch.tensor(91.73), 'optimizer': opt.state_dict()}
assert all('momentum_buffer' in s for s in train['optimizer']['state'].values())
torch.save(train, os.path.join(d, 'train.pth.tar'))
torch.save(train, os.path.join(d, 'train.th'), _use_new_zipfile_serialization=False)
# metrics as several scalar tensors at the top, and an EMA copy of the weights beside 'model'
ema = {k: v * 0.5 if v.is_floating_point() else v for k, v in sd.items()}
torch.save({'model_ema': ema, 'model': sd, 'acc': torch.tensor(0.9), 'loss': torch.tensor(0.3), 'lr': torch.tensor(0.01), 'epoch': torch.tensor(5)}, os.path.join(d, 'ema.pt'))
`,
      dir,
      RESNET20_TH,
    )
  })

  const fc: StateDict = new Map([
    ['fc.weight', { dtype: 'F32', shape: [2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) }],
    ['fc.bias', { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }],
  ])

  it('reads all three formats by content, whatever the file is called', () => {
    const th = readBytes(RESNET20_TH)
    const st = readBytes(join(PRETRAINED_DIR, 'resnet20.safetensors'))
    expect([detectCheckpointFormat(th), detectCheckpointFormat(st), detectCheckpointFormat(readBytes(join(dir, 'flat.pt')))]).toEqual(['torch-legacy', 'safetensors', 'torch-zip'])
    const fromTh = readCheckpoint(th, 'weights.safetensors') // a misleading name changes nothing
    expect(fromTh.size).toBe(97)
    expect(fromTh.has('conv1.weight')).toBe(true) // 'module.' stripped
    expectSameTensors(fromTh, readCheckpoint(st))
    expectSameTensors(readCheckpoint(readBytes(join(dir, 'flat.pt'))), fc)
  })

  it.each(['state_dict', 'model', 'model_state_dict', 'net', 'twice'])('unwraps the weights nested under %s', (key) => {
    expectSameTensors(readCheckpoint(readBytes(join(dir, `${key}.pt`))), fc)
  })

  it.each(['train.pth.tar', 'train.th', 'ema.pt'])('%s: finds the weights beside scalar-tensor metrics, optimizer momenta and an EMA copy, as in the plain state_dict', (name) => {
    const plain = readCheckpoint(readBytes(join(dir, 'plain.pt')))
    expect(plain.size).toBe(97)
    const sd = readCheckpoint(readBytes(join(dir, name)), name)
    expectSameTensors(sd, plain)
    expect(specForStateDict(sd).name).toBe('resnet20')
  })

  it("imports the training-script layout as a model with the plain state_dict's weights", async () => {
    await useWasm()
    const model = modelFromCheckpoint(readBytes(join(dir, 'train.pth.tar')), 'train.pth.tar')
    expect(model.spec.name).toBe('resnet20')
    // back in PyTorch layouts, every tensor of the plain file, bit for bit
    const plain = readCheckpoint(readBytes(join(dir, 'plain.pt')))
    const back = await stateDictFromModel(model)
    expectSameTensors(new Map([...back].filter(([k]) => plain.has(k))), plain)
    for (const v of model.vars.values()) v.dispose()
  })

  it('strips module. only when every name carries it', () => {
    expect([...readCheckpoint(readBytes(join(dir, 'mixed.pt'))).keys()]).toEqual(['module.fc.weight', 'head.bias'])
    const prefixed = serializeSafetensors(new Map([...fc].map(([k, v]) => [`module.${k}`, v])))
    expectSameTensors(readCheckpoint(prefixed), fc)
  })

  it('says what it found when there are no weights', () => {
    expect(checkpointError(() => readCheckpoint(readBytes(join(dir, 'notensors.pt')), 'a.pt')).message).toBe("'a.pt' holds no tensors (keys: epoch, args)")
    expect(checkpointError(() => readCheckpoint(readBytes(join(dir, 'tensor.pt')), 'a.pt')).message).toBe("'a.pt' holds a single tensor instead of a dictionary of tensors")
  })

  it('names files that are no checkpoint at all', () => {
    const msg = (b: Uint8Array) => checkpointError(() => readCheckpoint(b, 'x.bin')).message
    expect(msg(new Uint8Array(0))).toBe(`${NOT_A_CHECKPOINT}it is empty (0 bytes)`)
    const rng = createRng(7)
    for (const n of [1, 7, 8, 9, 64, 4096]) {
      const noise = Uint8Array.from({ length: n }, () => rng.int(256))
      expect(msg(noise)).toMatch(new RegExp(`^${NOT_A_CHECKPOINT}unrecognised content \\(${n} bytes, starting [0-9a-f ]+\\)$`))
    }
    expect(msg(Uint8Array.from([0x80, 0x04, 0x4b, 0x01, 0x2e]))).toBe(`${NOT_A_CHECKPOINT}it is a Python pickle without torch.save's magic number (starts 80 04 4b 01 2e)`)
    expect(msg(new TextEncoder().encode('<!DOCTYPE html><html>Not Found</html>'))).toBe(`${NOT_A_CHECKPOINT}it looks like an HTML or XML page (a failed download?)`)
    expect(msg(Uint8Array.from([0x1f, 0x8b, 8, 0]))).toBe(`${NOT_A_CHECKPOINT}it is gzip-compressed; decompress it first`)
    expect(msg(zipSync({ 'notes/readme.txt': new TextEncoder().encode('hi') }, { level: 0 }))).toBe('this zip archive is not a PyTorch checkpoint: it has no data.pkl')
    // legacy-looking start, but a different 10-byte number than torch's magic
    expect(msg(Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, ...new Array(10).fill(1), 0x2e]))).toBe('not a legacy torch.save file: its first pickle is not the torch magic number')
  })

  it('reports truncation in every format, and only ever throws CheckpointError', () => {
    const files = [readBytes(RESNET20_TH), readBytes(join(dir, 'state_dict.pt')), readBytes(join(PRETRAINED_DIR, 'resnet20.safetensors'))]
    for (const full of files) {
      for (const frac of [0.001, 0.01, 0.3, 0.5, 0.9, 0.999]) {
        const cut = Math.max(9, Math.floor(full.length * frac))
        expect(checkpointError(() => readCheckpoint(full.subarray(0, cut))).message, `cut at ${cut} of ${full.length}`).toMatch(/^the checkpoint is truncated or corrupt: /)
      }
    }
    expect(parseSafetensors(files[2]).size).toBe(97) // the uncut file is fine
  })
})
