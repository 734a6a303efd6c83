// Writes a state dict (PyTorch names and layout) as TensorFlow.js weight files: `model.json`
// with a weights manifest plus one binary shard, tensors in tfjs layout. Pure TS, no tfjs, so
// the page can export without loading tfjs on the main thread.
//
// Layout: conv weights OIHW → HWIO ([kh, kw, in, out], what tf.conv2d takes); linear weights
// [out, in] → [in, out] (what tf.matMul(x, w) takes); 1-D tensors (biases, BN) unchanged.
// Integer buffers (I64, e.g. num_batches_tracked) become int32. There is no layers topology
// (the ResNet is a function over named weights, not a tf.LayersModel), so load it with
//   const a = await tf.io.http('…/model.json').load()
//   const weights = tf.io.decodeWeights(a.weightData, a.weightSpecs) // name → tf.Tensor
// or `tf.io.loadWeights(modelJson.weightsManifest, baseUrl)`.

import { numel, type HostTensor, type StateDict } from '../tensors'

export interface TfjsWeightEntry {
  name: string
  shape: number[]
  dtype: 'float32' | 'int32'
}

export interface TfjsModelJson {
  format: 'advtune-weights'
  generatedBy: string
  convertedBy: null
  weightsManifest: { paths: string[]; weights: TfjsWeightEntry[] }[]
  userDefinedMetadata: Record<string, unknown>
}

export interface TfjsArtifacts {
  modelJson: TfjsModelJson
  weightsFileName: string
  weightsBin: Uint8Array<ArrayBuffer>
}

/** A tensor in tfjs layout: the transposition documented at the top of this file. */
export function toTfjsLayout(t: HostTensor): { shape: number[]; data: Float32Array | Int32Array } {
  const data = t.dtype === 'I64' ? Int32Array.from(t.data as BigInt64Array, (v) => Number(BigInt.asIntN(32, v))) : (t.data as Float32Array)
  if (t.shape.length === 4) {
    const [o, i, h, w] = t.shape
    const out = new (data.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(data.length)
    for (let oo = 0; oo < o; oo++)
      for (let ii = 0; ii < i; ii++) for (let hh = 0; hh < h; hh++) for (let ww = 0; ww < w; ww++) out[((hh * w + ww) * i + ii) * o + oo] = data[((oo * i + ii) * h + hh) * w + ww]
    return { shape: [h, w, i, o], data: out }
  }
  if (t.shape.length === 2) {
    const [o, i] = t.shape
    const out = new (data.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(data.length)
    for (let oo = 0; oo < o; oo++) for (let ii = 0; ii < i; ii++) out[ii * o + oo] = data[oo * i + ii]
    return { shape: [i, o], data: out }
  }
  return { shape: [...t.shape], data }
}

/** `baseName` names the files: `<baseName>.json` is suggested, the shard is `<baseName>.weights.bin`. */
export function toTfjsFormat(dict: StateDict, baseName: string, metadata: Record<string, unknown> = {}): TfjsArtifacts {
  const weightsFileName = `${baseName}.weights.bin`
  const entries: TfjsWeightEntry[] = []
  const parts: (Float32Array | Int32Array)[] = []
  let bytes = 0
  for (const [name, t] of dict) {
    if (t.data.length !== numel(t.shape)) throw new Error(`tensor ${name} has ${t.data.length} values for shape [${t.shape}]`)
    const { shape, data } = toTfjsLayout(t)
    entries.push({ name, shape, dtype: t.dtype === 'I64' ? 'int32' : 'float32' })
    parts.push(data)
    bytes += data.byteLength
  }
  // tfjs reads the shard as little-endian float32/int32 in manifest order, like typed arrays here.
  const weightsBin = new Uint8Array(bytes)
  let offset = 0
  for (const p of parts) {
    weightsBin.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), offset)
    offset += p.byteLength
  }
  return {
    modelJson: {
      format: 'advtune-weights',
      generatedBy: 'advtune',
      convertedBy: null,
      weightsManifest: [{ paths: [weightsFileName], weights: entries }],
      userDefinedMetadata: {
        layout: 'conv HWIO [kh,kw,in,out]; linear [in,out]; names as in PyTorch',
        load: "tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs) after tf.io.http('model.json').load()",
        ...metadata,
      },
    },
    weightsFileName,
    weightsBin,
  }
}
