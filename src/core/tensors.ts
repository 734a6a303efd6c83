// Host-side tensors: plain typed arrays in PyTorch layout (row-major, conv weights OIHW).
// Checkpoint readers and writers speak this; only model/weights.ts turns them into tfjs tensors.

export type HostDtype = 'F32' | 'I64'

export interface HostTensor {
  dtype: HostDtype
  shape: number[]
  /** F32 → Float32Array, I64 → BigInt64Array */
  data: Float32Array | BigInt64Array
}

/** Tensor name → tensor, in the checkpoint's own (PyTorch) names, insertion-ordered. */
export type StateDict = Map<string, HostTensor>

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

export function f32(shape: number[], data: Float32Array): HostTensor {
  if (data.length !== numel(shape)) throw new Error(`tensor data has ${data.length} values, shape [${shape}] needs ${numel(shape)}`)
  return { dtype: 'F32', shape, data }
}
