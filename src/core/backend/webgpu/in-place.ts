// Updates that write into existing tensors' GPU buffers, for the training step's last kernels:
// the SGD update writes a parameter and its momentum buffer, the running averages a BatchNorm's
// mean and variance. tfjs's programs have exactly one fresh output, so each of these took two
// dispatches; in place it is one (78 fewer per ResNet-20 step, ~60 µs of host time each).
//
// Only where nothing else holds the tensors' data (tfjs reference count 1: a variable that owns
// its buffer), else the caller's out-of-place path runs. The dispatch goes into tfjs's own command
// encoder and compute pass, in order with its programs, and counts toward its submit batch; the
// buffers are marked as the queue's, as tfjs marks a program's, so none is reused too early; and
// a CPU copy tfjs may keep of a tensor's values (after a read) is dropped, as it is now stale.

import * as tf from '@tensorflow/tfjs-core'
import type { TensorInfo } from '@tensorflow/tfjs-core'
import { numel } from '../../tensors'

/** The slice of tfjs-backend-webgpu's WebGPUBackend (backend_webgpu.d.ts) this file uses. */
interface WebGpuInternals {
  device: GPUDevice
  tensorMap: { get(dataId: object): { resource: unknown; values: unknown; refCount: number } }
  uploadToGPU(dataId: object): void
  makeUniforms(u: { type: 'float32' | 'int32'; data: number[] }[]): GPUBufferBinding
  ensureCommandEncoderReady(): void
  commandEncoder: GPUCommandEncoder
  computePassEncoder: GPUComputePassEncoder | null
  endComputePassEncoder(): void
  submitQueue(): void
  dispatchCountInPass: number
  commandQueueOwnedIds: WeakSet<object>
}

const WORKGROUP = 64
const MAX_GROUPS = 65535 // per dispatch dimension (WebGPU's default limit)
const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>()

/** Dispatches made in place so far: the checks read it to see that the in-place path ran. */
export const inPlaceCalls = { count: 0 }

/** Whether `t`'s data belongs to `t` alone, so that writing it in place changes nothing else. */
export function ownsData(backend: unknown, t: TensorInfo): boolean {
  return (backend as WebGpuInternals).tensorMap.get(t.dataId).refCount === 1
}

/**
 * One dispatch of `body` over n elements (`i` in the body) with `written` bound read_write and
 * `read` read-only, by their names, and f32 uniforms `u.<name>`. `key` names the shader (its
 * body and bindings) for the pipeline cache.
 */
export function dispatchInPlace(backend: unknown, key: string, written: Record<string, TensorInfo>, read: Record<string, TensorInfo>, uniforms: Record<string, number>, n: number, body: string): void {
  const b = backend as WebGpuInternals
  const names = [...Object.keys(written), ...Object.keys(read)]
  const tensors = [...Object.values(written), ...Object.values(read)]
  const uniformNames = Object.keys(uniforms)
  let cache = pipelines.get(b.device)
  if (!cache) pipelines.set(b.device, (cache = new Map()))
  let pipeline = cache.get(key)
  if (!pipeline) {
    const code = `
      struct Uniforms { n : i32, rowLength : i32, ${uniformNames.map((u) => `${u} : f32,`).join(' ')} };
      ${names.map((name, k) => `@group(0) @binding(${k}) var<storage, ${k < Object.keys(written).length ? 'read_write' : 'read'}> ${name} : array<f32>;`).join('\n')}
      @group(0) @binding(${names.length}) var<uniform> u : Uniforms;
      @compute @workgroup_size(${WORKGROUP})
      fn main(@builtin(global_invocation_id) id : vec3<u32>) {
        let i = i32(id.y) * u.rowLength + i32(id.x);
        if (i < u.n) { ${body} }
      }`
    pipeline = b.device.createComputePipeline({ layout: 'auto', compute: { module: b.device.createShaderModule({ code }), entryPoint: 'main' } })
    cache.set(key, pipeline)
  }
  for (const t of tensors) b.uploadToGPU(t.dataId)
  const groups = Math.ceil(n / WORKGROUP)
  const [gx, gy] = groups > MAX_GROUPS ? [MAX_GROUPS, Math.ceil(groups / MAX_GROUPS)] : [groups, 1]
  const uniformBinding = b.makeUniforms([{ type: 'int32', data: [n] }, { type: 'int32', data: [gx * WORKGROUP] }, ...uniformNames.map((u) => ({ type: 'float32' as const, data: [uniforms[u]] }))])
  const bindGroup = b.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      ...tensors.map((t, k) => ({ binding: k, resource: { buffer: b.tensorMap.get(t.dataId).resource as GPUBuffer, size: 4 * numel(t.shape) } })),
      { binding: names.length, resource: uniformBinding },
    ],
  })
  b.ensureCommandEncoderReady()
  if (!b.computePassEncoder) b.computePassEncoder = b.commandEncoder.beginComputePass({})
  b.computePassEncoder.setPipeline(pipeline)
  b.computePassEncoder.setBindGroup(0, bindGroup)
  b.computePassEncoder.dispatchWorkgroups(gx, gy)
  b.dispatchCountInPass++
  inPlaceCalls.count++
  for (const t of tensors) b.commandQueueOwnedIds.add(t.dataId)
  for (const t of Object.values(written)) b.tensorMap.get(t.dataId).values = null
  if (tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') <= b.dispatchCountInPass) {
    b.endComputePassEncoder()
    b.submitQueue()
  }
}
