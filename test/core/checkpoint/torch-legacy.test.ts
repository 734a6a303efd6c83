// Legacy (non-zip) torch.save reader: the real akamaster .th checkpoints against their safetensors
// conversions, files written by PyTorch 1.13 in the legacy format, and damaged or hostile files.

import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseSafetensors } from '../../../src/core/checkpoint/safetensors'
import { loadTorchLegacy } from '../../../src/core/checkpoint/torch-legacy'
import { stateDictFromTorch, stripModulePrefix } from '../../../src/core/checkpoint/torch-tensors'
import { checkpointError, expectMatchesPython, expectSameTensors, ORIGINAL_DIR, PRETRAINED_DIR, PY_SMALL_CHECKPOINT, python, readBytes, tempDir, type ExpectedTensor } from './helpers'

// The reader itself, without readCheckpoint's safety net, so a stray RangeError would surface here.
const readLegacy = (b: Uint8Array) => stripModulePrefix(stateDictFromTorch(loadTorchLegacy(b), 'the test file'))

const REAL = [
  // depth 6n+2: stem conv + BN (5 tensors), 3n blocks of 2 convs + 2 BNs (10 each), linear (2)
  { file: 'resnet20-12fca82f.th', safetensors: 'resnet20.safetensors', tensors: 97 },
  { file: 'resnet56-4bfd9763.th', safetensors: 'resnet56.safetensors', tensors: 277 },
]

describe('legacy torch.save reader', () => {
  it.each(REAL)('reads $file: $tensors tensors bit-identical to $safetensors', ({ file, safetensors, tensors }) => {
    const sd = readLegacy(readBytes(join(ORIGINAL_DIR, file)))
    expect(sd.size).toBe(tensors)
    expect([...sd.keys()].slice(0, 3)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias']) // checkpoint order, no 'module.'
    expectSameTensors(sd, parseSafetensors(readBytes(join(PRETRAINED_DIR, safetensors))))
  })

  it('reports the real file cut anywhere as truncated', () => {
    const full = readBytes(join(ORIGINAL_DIR, 'resnet20-12fca82f.th'))
    // inside the magic, sys-info and object pickles, the key list, a storage's count and its data
    for (const cut of [0, 3, 16, 100, 137, 5000, 12017, 12500, 14063, 14067, 20000, full.length - 1]) {
      expect(checkpointError(() => readLegacy(full.subarray(0, cut))).message, `cut at ${cut}`).toMatch(/^the checkpoint is truncated or corrupt: /)
    }
    expect(checkpointError(() => readLegacy(full.subarray(0, 20000))).message).toMatch(/storage '\d+' needs \d+ bytes at byte \d+ but the file ends at 20000/)
  })

  describe('files written by PyTorch', () => {
    let dir: string
    let py: { want: Record<string, ExpectedTensor>; views: Record<string, ExpectedTensor> }
    beforeAll(() => {
      dir = tempDir()
      py = JSON.parse(
        python(
          `${PY_SMALL_CHECKPOINT}
import json, os, pickle, struct, sys
from torch._utils import _rebuild_tensor_v2
d = sys.argv[1]
torch.save(obj, os.path.join(d, 'small.th'), _use_new_zipfile_serialization=False)
torch.save(torch.nn.Linear(2, 2), os.path.join(d, 'module.th'), _use_new_zipfile_serialization=False)

# Pre-1.0 torch saved views of storages: ids carry (view_key, offset, numel). Written by hand here,
# then loaded with torch.load so PyTorch itself says what the tensors are.
class Storage:
    def __init__(self, pid): self.pid = pid
class T:
    def __init__(self, *args): self.args = args + (False, collections.OrderedDict())
    def __reduce__(self): return (_rebuild_tensor_v2, self.args)
class P(pickle.Pickler):
    def persistent_id(self, o): return o.pid if isinstance(o, Storage) else None
def write_legacy(name, obj):  # one float storage 'root' holding 0, 1.5, 3, ..., 13.5
    with open(os.path.join(d, name), 'wb') as f:
        for head in (0x1950a86a20f9469cfc6c, 1001, {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}):
            pickle.dump(head, f, protocol=2)
        P(f, protocol=2).dump(obj)
        pickle.dump(['root'], f, protocol=2)
        f.write(struct.pack('<q', 10) + (torch.arange(10, dtype=torch.float32) * 1.5).numpy().tobytes())
va = Storage(('storage', torch.FloatStorage, 'root', 'cpu', 10, ('va', 2, 6)))
vb = Storage(('storage', torch.FloatStorage, 'root', 'cpu', 10, ('vb', 5, 5)))
write_legacy('views.th', {'state_dict': collections.OrderedDict([('a', T(va, 1, (2, 2), (2, 1))), ('b', T(vb, 0, (5,), (1,)))])})
# zero strides: 2^30 elements described by one float
root = Storage(('storage', torch.FloatStorage, 'root', 'cpu', 10, None))
write_legacy('huge.th', {'w': T(root, 0, (2**15, 2**15), (0, 0))})
loaded = torch.load(os.path.join(d, 'views.th'))['state_dict']
print(json.dumps({'want': want, 'views': {k: expected(v) for k, v in loaded.items()}}))
`,
          dir,
        ),
      )
    })

    it('reads views, offsets, strides, parameters, int64 buffers and every float dtype as PyTorch does', () => {
      expectMatchesPython(readLegacy(readBytes(join(dir, 'small.th'))), py.want)
    })

    it('reads storage views of pre-1.0 files as torch.load does', () => {
      const sd = readLegacy(readBytes(join(dir, 'views.th')))
      expectMatchesPython(sd, py.views)
      expect([...sd.get('a')!.data]).toEqual([4.5, 6, 7.5, 9]) // root[2 + 1 ...], stride 2
    })

    it('refuses a gigantic broadcast tensor without building it', () => {
      expect(checkpointError(() => readLegacy(readBytes(join(dir, 'huge.th')))).message).toBe(
        "refused to load the test file: its tensors claim 1073741824 elements, more than the 8388608 this reader accepts (ResNet-56 has about 0.86 million); the largest, 'w', is [32768,32768] (1073741824 elements): the file is damaged, hostile, or not a CIFAR ResNet checkpoint",
      )
    })

    it('refuses a pickled nn.Module, naming its class', () => {
      expect(checkpointError(() => readLegacy(readBytes(join(dir, 'module.th')))).message).toBe(
        'refused to load: the checkpoint references the Python global torch.nn.modules.linear.Linear; only tensors and dictionaries are allowed (it holds a whole pickled model: save model.state_dict() instead)',
      )
    })
  })
})
