// safetensors reader/writer: exact round trips, files written by PyTorch (every supported dtype),
// our files read back by PyTorch, the real pretrained file, and damaged or hostile headers.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseSafetensors, parseSafetensorsFile, serializeSafetensors } from '../../../src/core/checkpoint/safetensors'
import type { StateDict } from '../../../src/core/tensors'
import { checkpointError, expectMatchesPython, expectSameTensors, PRETRAINED_DIR, PY_EXPECTED, python, readBytes, tempDir, type ExpectedTensor } from './helpers'

/** Edge values: signed zeros, infinities, NaN, subnormals, extremes. */
function sampleDict(): StateDict {
  const special = new Float32Array([0, -0, 1, -1.5, Infinity, -Infinity, NaN, 1e-45, -1e-40, 3.4028234663852886e38, Math.PI, 1 / 3])
  return new Map([
    ['conv.weight', { dtype: 'F32', shape: [2, 3, 2], data: special }],
    ['bn.num_batches_tracked', { dtype: 'I64', shape: [], data: new BigInt64Array([123456789012345n]) }],
    ['ints', { dtype: 'I64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, -1n]) }],
    ['scalar', { dtype: 'F32', shape: [], data: new Float32Array([0.1]) }],
    ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
    ['odd', { dtype: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) }],
    ['after.odd', { dtype: 'I64', shape: [1], data: new BigInt64Array([42n]) }],
  ])
}

/** A valid file built by hand, for damaging one field at a time. */
function craft(header: Record<string, unknown>, dataBytes: number, headerLen?: number): Uint8Array {
  const json = Buffer.from(JSON.stringify(header))
  const out = new Uint8Array(8 + json.length + dataBytes)
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen ?? json.length), true)
  out.set(json, 8)
  return out
}

describe('safetensors', () => {
  it('round-trips F32 and I64 tensors bit-exactly, with metadata', () => {
    const dict = sampleDict()
    const bytes = serializeSafetensors(dict, { format: 'pt', note: 'h\u00e9' })
    const back = parseSafetensorsFile(bytes)
    expectSameTensors(back.tensors, dict)
    expect([...back.tensors.keys()]).toEqual([...dict.keys()])
    expect(back.metadata).toEqual({ format: 'pt', note: 'h\u00e9' })
    // the data section starts 8-byte aligned, as the header is padded
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0)
  })

  it('reads the real pretrained resnet20.safetensors: 97 float32 tensors', () => {
    const { tensors, metadata } = parseSafetensorsFile(readBytes(join(PRETRAINED_DIR, 'resnet20.safetensors')))
    expect(tensors.size).toBe(97)
    expect(metadata.arch).toBe('resnet20')
    expect(tensors.get('conv1.weight')!.shape).toEqual([16, 3, 3, 3])
    expect(tensors.get('linear.weight')!.shape).toEqual([10, 64])
    expect([...tensors.values()].every((t) => t.dtype === 'F32')).toBe(true)
  })

  describe('against PyTorch', () => {
    let dir: string
    beforeAll(() => {
      dir = tempDir()
    })

    it('reads files PyTorch wrote in every supported dtype (floats → F32, integers → I64)', () => {
      const path = join(dir, 'dtypes.safetensors')
      const expected: Record<string, ExpectedTensor> = JSON.parse(
        python(
          `${PY_EXPECTED}
import json, struct, sys
g = torch.Generator().manual_seed(0)
base = torch.randn(3, 5, generator=g) * 100
ts = {'f64': base.double() / 7, 'f32': base, 'f16': base.half(), 'bf16': base.bfloat16(),
      'i64': torch.tensor([-2**63, 2**63 - 1, 5]), 'i32': torch.tensor([-2**31, 2**31 - 1], dtype=torch.int32),
      'i16': torch.tensor([-300, 7], dtype=torch.int16), 'i8': torch.tensor([-128, 127], dtype=torch.int8),
      'u8': torch.tensor([0, 255], dtype=torch.uint8), 'bool': torch.tensor([True, False, True])}
names = {torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.int64: 'I64',
         torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8', torch.bool: 'BOOL'}
header, blobs, off = {}, [], 0
for k, t in ts.items():
    b = t.contiguous().view(torch.uint8).numpy().tobytes()
    header[k] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
    blobs.append(b); off += len(b)
h = json.dumps(header).encode()
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
print(json.dumps({k: expected(t) for k, t in ts.items()}))
`,
          path,
        ),
      )
      expectMatchesPython(parseSafetensors(readBytes(path)), expected)
    })

    it('writes files that PyTorch reads back with equal values', () => {
      const dict = sampleDict()
      const path = join(dir, 'ours.safetensors')
      writeFileSync(path, serializeSafetensors(dict, { format: 'pt' }))
      const got = JSON.parse(
        python(
          `${PY_EXPECTED}
import json, struct, sys
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
header = json.loads(b[8:8 + n])
meta = header.pop('__metadata__')
data = bytearray(b[8 + n:])
out, end = {}, 0
for k, v in header.items():
    s, e = v['data_offsets']
    assert s == end, 'tensors must be packed back to back'
    end = e
    dt = {'F32': torch.float32, 'I64': torch.int64}[v['dtype']]
    t = torch.frombuffer(data[s:e], dtype=dt) if e > s else torch.empty(0, dtype=dt)
    out[k] = expected(t.reshape(v['shape']))
assert end == len(data), 'no trailing bytes'
print(json.dumps({'meta': meta, 'tensors': out}))
`,
          path,
        ),
      )
      expect(got.meta).toEqual({ format: 'pt' })
      expectMatchesPython(dict, got.tensors)
    })
  })

  describe('rejects damaged files', () => {
    const good = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }

    it('refuses an out-of-range data offset', () => {
      const bytes = craft({ ...good, b: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } }, 12)
      expect(checkpointError(() => parseSafetensors(bytes)).message).toBe("the checkpoint is truncated or corrupt: tensor 'b' has data_offsets [12, 16] outside the 12-byte data section")
    })

    it('refuses overlapping tensors', () => {
      const bytes = craft({ ...good, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 12)
      expect(checkpointError(() => parseSafetensors(bytes)).message).toBe("the safetensors file is corrupt: tensors 'a' and 'b' overlap in the data section")
    })

    it('refuses a byte range that does not match dtype and shape', () => {
      const bytes = craft({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)
      expect(checkpointError(() => parseSafetensors(bytes)).message).toMatch(/tensor 'a' spans 8 bytes but F32 \[3\] needs 12/)
    })

    it('refuses oversized or overlong headers, bad JSON and unsupported dtypes', () => {
      const msg = (b: Uint8Array) => checkpointError(() => parseSafetensors(b)).message
      expect(msg(craft(good, 12, 2 ** 40))).toMatch(/header claims 1099511627776 bytes, more than the 100000000-byte limit/)
      expect(msg(craft(good, 12, 100_000))).toMatch(/^the checkpoint is truncated or corrupt: the safetensors header claims 100000 bytes but only \d+ follow/)
      expect(msg(craft(good, 12).fill(0x41, 8, 9))).toMatch(/the header is not valid JSON/)
      expect(msg(craft({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, 1))).toMatch(/dtype "F8_E4M3", which is not supported/)
      expect(msg(craft({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4))).toMatch(/shape \[-1\], not a list of non-negative integers/)
      expect(msg(craft({ __metadata__: { n: 1 } }, 0))).toMatch(/__metadata__ must map names to strings/)
      expect(msg(new Uint8Array(5))).toMatch(/^the checkpoint is truncated or corrupt: a safetensors file needs an 8-byte header length/)
    })

    it('reports a file cut anywhere as truncated', () => {
      const full = serializeSafetensors(sampleDict())
      for (let cut = 0; cut < full.length; cut += 7) {
        expect(checkpointError(() => parseSafetensors(full.subarray(0, cut))).message, `cut at ${cut}`).toMatch(/^the checkpoint is truncated or corrupt: /)
      }
    })

    it('refuses to write tensors whose data and shape disagree', () => {
      const bad: StateDict = new Map([['w', { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }]])
      expect(checkpointError(() => serializeSafetensors(bad)).message).toBe("tensor 'w' has 3 values but shape [2,2]")
    })
  })
})
