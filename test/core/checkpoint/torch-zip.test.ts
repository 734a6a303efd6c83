// Zip torch.save reader (PyTorch >= 1.6), on archives written at test time by PyTorch 1.13: the real
// ResNet-20 weights re-saved, a small checkpoint with every awkward tensor layout, and bad archives.

import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseSafetensors } from '../../../src/core/checkpoint/safetensors'
import { loadTorchZip } from '../../../src/core/checkpoint/torch-zip'
import { stateDictFromTorch, stripModulePrefix } from '../../../src/core/checkpoint/torch-tensors'
import { checkpointError, expectMatchesPython, expectSameTensors, ORIGINAL_DIR, PRETRAINED_DIR, PY_SMALL_CHECKPOINT, python, readBytes, tempDir, type ExpectedTensor } from './helpers'

// The reader itself, without readCheckpoint's safety net, so a stray RangeError would surface here.
const readZip = (b: Uint8Array) => stripModulePrefix(stateDictFromTorch(loadTorchZip(b), 'the test file'))

describe('zip torch.save reader', () => {
  let dir: string
  let py: { want: Record<string, ExpectedTensor>; deflatedLoads: boolean }
  beforeAll(() => {
    dir = tempDir()
    py = JSON.parse(
      python(
        `${PY_SMALL_CHECKPOINT}
import json, os, sys, zipfile
d = sys.argv[1]
resnet = torch.load(sys.argv[2], map_location='cpu')['state_dict']  # keys keep their 'module.' prefix
torch.save(resnet, os.path.join(d, 'resnet20.pth'))
torch.save(obj, os.path.join(d, 'small.pt'))
torch.save(torch.nn.Linear(2, 2), os.path.join(d, 'module.pt'))
class Evil:
    def __reduce__(self): return (os.system, ('echo pwned',))
torch.save({'state_dict': {'w': torch.ones(2)}, 'payload': Evil()}, os.path.join(d, 'evil.pt'))

# the same archive re-packed: deflated entries under another folder name, and one with a storage missing
src = zipfile.ZipFile(os.path.join(d, 'small.pt'))
with zipfile.ZipFile(os.path.join(d, 'deflated.pt'), 'w', zipfile.ZIP_DEFLATED) as z:
    for i in src.infolist(): z.writestr('archive/' + i.filename.split('/', 1)[1], src.read(i))
with zipfile.ZipFile(os.path.join(d, 'missing.pt'), 'w') as z:
    for i in src.infolist():
        if i.filename != 'small/data/0': z.writestr(i, src.read(i))
loaded = torch.load(os.path.join(d, 'deflated.pt'))['model_state_dict']
print(json.dumps({'want': want, 'deflatedLoads': all(torch.equal(loaded['module.' + k], v) for k, v in sd.items())}))
`,
        dir,
        join(ORIGINAL_DIR, 'resnet20-12fca82f.th'),
      ),
    )
  })

  it('reads the real ResNet-20 re-saved by torch.save: bit-identical to resnet20.safetensors', () => {
    const sd = readZip(readBytes(join(dir, 'resnet20.pth')))
    expect(sd.size).toBe(97)
    expectSameTensors(sd, parseSafetensors(readBytes(join(PRETRAINED_DIR, 'resnet20.safetensors'))))
  })

  it('reads views, offsets, strides, parameters, int64 buffers and every float dtype as PyTorch does', () => {
    const sd = readZip(readBytes(join(dir, 'small.pt')))
    expectMatchesPython(sd, py.want)
    expect(sd.get('bn.num_batches_tracked')).toEqual({ dtype: 'I64', shape: [], data: new BigInt64Array([1n]) })
  })

  it('finds the archive folder by its data.pkl and inflates deflated entries', () => {
    expect(py.deflatedLoads).toBe(true) // PyTorch reads the re-packed archive too
    expectMatchesPython(readZip(readBytes(join(dir, 'deflated.pt'))), py.want)
  })

  it('follows the zip64 end record when the classic one is saturated', () => {
    const bytes = readBytes(join(dir, 'small.pt'))
    const eocd = bytes.length - 22 // torch writes no archive comment
    expect(new DataView(bytes.buffer).getUint32(eocd, true)).toBe(0x06054b50)
    bytes.fill(0xff, eocd + 8, eocd + 20) // entry counts, directory size and offset → "see zip64 record"
    expectMatchesPython(readZip(bytes), py.want)
  })

  it('refuses pickled objects other than tensors and dicts, naming the global', () => {
    const refused = (f: string) => checkpointError(() => readZip(readBytes(join(dir, f)))).message
    expect(refused('evil.pt')).toBe('refused to load: the checkpoint references the Python global os.system (posix.system); only tensors and dictionaries are allowed')
    expect(refused('module.pt')).toMatch(/ torch\.nn\.modules\.linear\.Linear; only tensors and dictionaries are allowed \(it holds a whole pickled model: save model\.state_dict\(\) instead\)$/)
  })

  it('reports cut or incomplete archives as truncated or corrupt', () => {
    const full = readBytes(join(dir, 'resnet20.pth'))
    for (const cut of [0, 10, 100, 5000, 200_000, full.length - 30, full.length - 1]) {
      expect(checkpointError(() => readZip(full.subarray(0, cut))).message, `cut at ${cut}`).toBe(
        'the checkpoint is truncated or corrupt: the zip archive has no end-of-central-directory record (a cut download?)',
      )
    }
    expect(checkpointError(() => readZip(readBytes(join(dir, 'missing.pt')))).message).toBe("the checkpoint is truncated or corrupt: the data of storage '0' is missing from the archive")
  })
})
