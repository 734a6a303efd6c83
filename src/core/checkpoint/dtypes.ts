// Little-endian element decoding shared by the torch and safetensors readers. HostTensor has two
// dtypes, so every float type widens or narrows to float32 and every integer type widens to int64.

import { CheckpointError } from './errors'
import type { HostDtype } from '../tensors'

export type SourceDtype = 'float64' | 'float32' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool'

export const ITEM_SIZE: Readonly<Record<SourceDtype, number>> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
}

export function hostDtypeOf(d: SourceDtype): HostDtype {
  return d === 'float64' || d === 'float32' || d === 'float16' || d === 'bfloat16' ? 'F32' : 'I64'
}

// Typed-array views read in the host's byte order; every browser and Node target is little-endian,
// but a silent byte swap would corrupt weights, so check once.
const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** Decodes `bytes` (exactly n * ITEM_SIZE[dtype] long, any alignment) into a fresh host array. */
export function decodeLE(bytes: Uint8Array, dtype: SourceDtype): Float32Array | BigInt64Array {
  if (!hostIsLittleEndian) throw new CheckpointError('reading checkpoints needs a little-endian machine')
  const size = ITEM_SIZE[dtype]
  if (bytes.length % size !== 0) throw new CheckpointError(`${bytes.length} bytes is not a whole number of ${dtype} elements`)
  const n = bytes.length / size
  const buf = copyBytes(bytes).buffer // aligned, and independent of the (possibly huge) file buffer
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf)
    case 'float64':
      return Float32Array.from(new Float64Array(buf))
    case 'float16': {
      const h = new Uint16Array(buf),
        out = new Float32Array(n)
      for (let i = 0; i < n; i++) out[i] = halfToFloat(h[i])
      return out
    }
    case 'bfloat16': {
      // bfloat16 is the top half of a float32: shifting the bits keeps NaN payloads and -0 exact
      const h = new Uint16Array(buf),
        out = new Float32Array(n),
        bits = new Uint32Array(out.buffer)
      for (let i = 0; i < n; i++) bits[i] = h[i] << 16
      return out
    }
    case 'int64':
      return new BigInt64Array(buf)
    case 'int32':
      return widen(new Int32Array(buf))
    case 'int16':
      return widen(new Int16Array(buf))
    case 'int8':
      return widen(new Int8Array(buf))
    case 'uint8':
    case 'bool':
      return widen(new Uint8Array(buf))
  }
}

function widen(a: Int32Array | Int16Array | Int8Array | Uint8Array): BigInt64Array {
  const out = new BigInt64Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = BigInt(a[i])
  return out
}

/** IEEE binary16 → number; every half value is exact in float32. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f,
    frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24 // zero and subnormals
  if (exp === 31) return frac ? NaN : sign * Infinity
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

/** A fresh copy with its own buffer. (Node's Buffer#slice returns a view, so `.slice()` will not do.) */
export function copyBytes(b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(b.length)
  out.set(b)
  return out
}
