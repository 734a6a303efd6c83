// Hostile checkpoints, written at test time by Python: tiny files that describe huge tensors (zero
// strides, storages longer than their data, huge shapes) and zip entries that inflate far beyond the
// file. Each is refused in milliseconds without allocating; names and shapes are checked against the
// ResNet before any data is read.

import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { MAX_ELEMENTS, readCheckpoint } from '../../../src/core/checkpoint'
import { modelFromCheckpoint, specForStateDict, WeightImportError } from '../../../src/core/model/weights'
import { checkpointError, python, readBytes, tempDir } from './helpers'

const MiB = 2 ** 20

/** Runs `fn`, returning what it threw and how long and how much memory it took. */
function measure(fn: () => unknown): { error: unknown; ms: number; rssMiB: number; arrayBuffersMiB: number } {
  const before = process.memoryUsage()
  const t0 = performance.now()
  let error: unknown
  try {
    fn()
  } catch (e) {
    error = e
  }
  const ms = performance.now() - t0
  const after = process.memoryUsage()
  return { error, ms, rssMiB: (after.rss - before.rss) / MiB, arrayBuffersMiB: (after.arrayBuffers - before.arrayBuffers) / MiB }
}

/** The file is refused with a CheckpointError matching `message`, within 500 ms and a few MiB. */
function expectRefusedCheaply(bytes: Uint8Array, message: RegExp, read: (b: Uint8Array) => unknown = (b) => readCheckpoint(b, 'bomb')) {
  measure(() => read(bytes.slice())) // warm up the code paths, so the timing is the refusal's alone
  const m = measure(() => read(bytes))
  expect(m.error, String(m.error)).toBeInstanceOf(Error)
  expect((m.error as Error).message).toMatch(message)
  expect(m.ms).toBeLessThan(500)
  expect(m.arrayBuffersMiB).toBeLessThan(8)
  expect(m.rssMiB).toBeLessThan(48)
  return m
}

const SCRIPT = `
import collections, io, os, pickle, struct, sys, zipfile
import torch
from torch._utils import _rebuild_tensor_v2
d = sys.argv[1]
out = lambda name: os.path.join(d, name)

# zero strides: three 2^27-element tensors described by one stored float
z = torch.zeros(1)
bomb = collections.OrderedDict((f'layer1.{i}.conv1.weight', z.expand(2**14, 2**13)) for i in range(3))
torch.save(bomb, out('zero-stride.pt'))
torch.save(bomb, out('zero-stride.th'), _use_new_zipfile_serialization=False)
torch.save({'w': z.expand(2**31, 2**31)}, out('huge-broadcast.pt'))  # 2^62 elements

# Hand-written files: torch.save would refuse to describe tensors its data cannot hold.
class Storage:
    def __init__(self, numel, key='0'): self.pid = ('storage', torch.FloatStorage, key, 'cpu', numel)
class T:
    def __init__(self, storage, size, stride): self.args = (storage, 0, size, stride, False, collections.OrderedDict())
    def __reduce__(self): return (_rebuild_tensor_v2, self.args)
class P(pickle.Pickler):
    def persistent_id(self, o): return o.pid if isinstance(o, Storage) else None
def dumps(obj):
    f = io.BytesIO()
    P(f, protocol=2).dump(obj)
    return f.getvalue()
def write_zip(name, obj, data, method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(out(name), 'w', method) as zf:
        zf.writestr('archive/data.pkl', dumps(obj))
        zf.writestr('archive/byteorder', 'little')
        for key, b in data.items(): zf.writestr('archive/data/' + key, b)
def write_legacy(name, obj, key, numel, data):
    with open(out(name), 'wb') as f:
        for head in (0x1950a86a20f9469cfc6c, 1001, {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}):
            pickle.dump(head, f, protocol=2)
        P(f, protocol=2).dump(obj)
        pickle.dump([key], f, protocol=2)
        f.write(struct.pack('<q', numel) + data)
four = struct.pack('<4f', 1, 2, 3, 4)
# a storage that claims 2^40 floats but stores four
long_storage = {'layer1.0.conv1.weight': T(Storage(2**40), (4,), (1,))}
write_zip('long-storage.pt', long_storage, {'0': four})
write_legacy('long-storage.th', long_storage, '0', 2**40, four)
# a 2^20 x 2^20 tensor over a four-float storage
huge_shape = {'layer1.0.conv1.weight': T(Storage(4), (2**20, 2**20), (2**20, 1))}
write_zip('huge-shape.pt', huge_shape, {'0': four})
write_legacy('huge-shape.th', huge_shape, '0', 4, four)

# zip bombs: 64 MiB of zeros deflate to about 64 KiB, a real decompression bomb within deflate's ratio
zeros = bytes(64 << 20)
write_zip('inflating-storage.pt', {'layer1.0.conv1.weight': T(Storage(16 << 20), (16 << 20,), (1,))}, {'0': zeros}, zipfile.ZIP_DEFLATED)
with zipfile.ZipFile(out('inflating-pickle.pt'), 'w', zipfile.ZIP_DEFLATED) as zf:
    zf.writestr('archive/data.pkl', zeros)
# an entry whose declared size is far beyond what its compressed bytes can inflate to: the real
# small checkpoint with data/0's size in the central directory raised to 4 GiB - 1
small = {'layer1.0.conv1.weight': T(Storage(4), (4,), (1,))}
write_zip('lying-size.pt', small, {'0': four}, zipfile.ZIP_DEFLATED)
b = bytearray(open(out('lying-size.pt'), 'rb').read())
p = b.find(b'PK\\x01\\x02')
while p >= 0:
    n = struct.unpack_from('<H', b, p + 28)[0]
    if bytes(b[p + 46:p + 46 + n]) == b'archive/data/0': struct.pack_into('<I', b, p + 24, 2**32 - 1)
    p = b.find(b'PK\\x01\\x02', p + 4)
open(out('lying-size.pt'), 'wb').write(bytes(b))

# within the budget but no ResNet: 4 Mi floats (16 MiB, deflated to 16 KiB) under a ResNet name
write_zip('not-resnet.pt', {'layer1.0.conv1.weight': T(Storage(4 << 20), (4 << 20,), (1,))}, {'0': bytes(16 << 20)}, zipfile.ZIP_DEFLATED)
print(' '.join(f'{f}:{os.path.getsize(out(f))}' for f in sorted(os.listdir(d))))
`

describe('hostile checkpoints', () => {
  let dir: string
  const file = (name: string) => readBytes(join(dir, name))
  beforeAll(() => {
    dir = tempDir()
    python(SCRIPT, dir)
  })

  it.each(['zero-stride.pt', 'zero-stride.th'])('%s: three zero-stride 2^27-element tensors in a file of a few hundred bytes are refused before any is built', (name) => {
    const bytes = file(name)
    expect(bytes.length).toBeLessThan(2048)
    expectRefusedCheaply(
      bytes,
      new RegExp(
        `^refused to load 'bomb': its tensors claim 402653184 elements, more than the ${MAX_ELEMENTS} this reader accepts \\(ResNet-56 has about 0\\.86 million\\); ` +
          "the largest, 'layer1\\.0\\.conv1\\.weight', is \\[16384,8192\\] \\(134217728 elements\\): the file is damaged, hostile, or not a CIFAR ResNet checkpoint$",
      ),
    )
  })

  it('refuses a broadcast tensor of 2^62 elements', () => {
    expectRefusedCheaply(file('huge-broadcast.pt'), /its tensors claim 4\.61e\+18 elements, .* the largest, 'w', is \[2147483648,2147483648\]/)
  })

  it('refuses a storage that claims far more elements than the file holds', () => {
    expectRefusedCheaply(
      file('long-storage.pt'),
      /^the checkpoint is truncated or corrupt: storage '0' claims 1099511627776 float32 elements \(4398046511104 bytes\) but the file holds 16 bytes for it$/,
    )
    expectRefusedCheaply(file('long-storage.th'), /^the checkpoint is truncated or corrupt: storage '0' needs 4398046511104 bytes at byte \d+ but the file ends at \d+$/)
  })

  it('refuses a huge shape over a small storage', () => {
    const message = /^the checkpoint is corrupt: tensor 'layer1\.0\.conv1\.weight' \(size \[1048576,1048576\], stride \[1048576,1\], offset 0\) reaches past the end of its storage of 4 elements$/
    expectRefusedCheaply(file('huge-shape.pt'), message)
    expectRefusedCheaply(file('huge-shape.th'), message)
  })

  it('refuses a deflated storage that would inflate to 64 MiB before inflating it', () => {
    const bytes = file('inflating-storage.pt')
    expect(bytes.length).toBeLessThan(256 << 10)
    expectRefusedCheaply(bytes, /^refused to load 'bomb': its tensors claim 16777216 elements, more than the 8388608/)
  })

  it('refuses a deflated object pickle that would inflate to 64 MiB before inflating it', () => {
    expectRefusedCheaply(file('inflating-pickle.pt'), /^refused to load: zip entry 'archive\/data\.pkl' is 67108864 bytes, more than the 16777216 a checkpoint needs there$/)
  })

  it('refuses a zip entry that declares more than deflate can produce from its bytes', () => {
    expectRefusedCheaply(
      file('lying-size.pt'),
      /^the checkpoint is truncated or corrupt: entry 'archive\/data\/0' claims to inflate from \d+ to 4294967295 bytes, more than deflate can compress \(a decompression bomb\?\)$/,
    )
  })

  it('checks names and shapes against the ResNet before inflating or decoding any tensor', () => {
    const bytes = file('not-resnet.pt')
    expect(bytes.length).toBeLessThan(128 << 10)
    // the generic reader builds it (16 MiB), as it is within the budget
    expect(readCheckpoint(bytes).get('layer1.0.conv1.weight')!.shape).toEqual([4 << 20])
    // through the model import nothing is inflated: the shape alone refuses it
    const m = expectRefusedCheaply(
      bytes,
      /^These weights do not fit resnet8: missing 36 tensor\(s\): conv1\.weight, .*wrong shape: layer1\.0\.conv1\.weight is \[4194304\] but resnet8 needs \[16,16,3,3\]/,
      (b) => modelFromCheckpoint(b, 'bomb'),
    )
    expect(m.error).toBeInstanceOf(WeightImportError)
    expect(() => readCheckpoint(bytes, 'bomb', { check: specForStateDict })).toThrow(WeightImportError)
  })

  it('refuses every one of them through readCheckpoint with a CheckpointError', () => {
    for (const name of [
      'zero-stride.pt',
      'zero-stride.th',
      'huge-broadcast.pt',
      'long-storage.pt',
      'long-storage.th',
      'huge-shape.pt',
      'huge-shape.th',
      'inflating-storage.pt',
      'inflating-pickle.pt',
      'lying-size.pt',
    ]) {
      checkpointError(() => readCheckpoint(file(name), name))
    }
  })
})
