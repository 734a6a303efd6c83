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
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] }
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

const WORKGROUP = 64

/**
 * One thread per output element of `shape`; `body` reads its same-shape inputs by their names at
 * `index` and writes result[index]. `shaderKey` names the body (tfjs adds the shapes).
 */
export class ElementwiseProgram implements Program {
  outputShape: number[]
  dispatchLayout: { x: number[] }
  dispatch: [number, number, number]
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1]
  size = true

  constructor(
    public variableNames: string[],
    public uniforms: string,
    public shaderKey: string,
    private body: string,
    shape: number[],
  ) {
    this.outputShape = shape
    this.dispatchLayout = { x: shape.map((_, i) => i) }
    this.dispatch = [Math.ceil(shape.reduce((a, b) => a * b, 1) / WORKGROUP), 1, 1]
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) { ${this.body} }
      }`
  }
}
