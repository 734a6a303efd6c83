// The slice of tfjs-backend-webgpu's program interface (dist/webgpu_program.d.ts) that advtune's
// own WebGPU kernels use: tfjs generates the bindings, uniforms and helpers around getUserCode().

import type { TensorInfo } from '@tensorflow/tfjs-core'

/** The part of tfjs-backend-webgpu's WebGPUProgram (webgpu_program.d.ts) these programs fill in. */
export interface Program {
  variableNames: string[]
  variableComponents?: number[]
  outputComponent?: number
  outputShape: number[]
  shaderKey: string
  dispatchLayout: { x: number[] }
  dispatch: [number, number, number]
  workgroupSize: [number, number, number]
  uniforms?: string
  size?: boolean // tfjs adds uniforms.size, the output's element count
  getUserCode(): string
}

export type Uniform = { type: 'int32' | 'float32'; data: number[] }

/** The WebGPU backend's method that compiles (once per shader key) and queues a program. */
export interface WebGpuRunner {
  runWebGPUProgram(p: Program, inputs: TensorInfo[], dtype: 'float32', uniforms?: Uniform[]): TensorInfo
  disposeData(dataId: object): void
}
