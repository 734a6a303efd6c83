// Starting the WASM backend in Node with the defaults (no wasmPaths), as tests and the runner do.
import { existsSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { initWasmBackend, wasmBackendInfo } from '../../../src/core/backend/wasm/init'
import { nodeWasmDir } from '../../../scripts/lib/wasm-node'

describe('initWasmBackend in Node', () => {
  it('starts WASM with the training kernels, and can be called again after a switch', async () => {
    await initWasmBackend()
    expect(tf.getBackend()).toBe('wasm')
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined()
    const info = wasmBackendInfo()
    expect(info.threads).toBeGreaterThanOrEqual(1)
    expect(typeof info.simd).toBe('boolean')

    await tf.setBackend('cpu')
    await initWasmBackend({ threads: 4 }) // ignored now: the backend has already started
    expect(tf.getBackend()).toBe('wasm')
    // a weight gradient, which stock tfjs-backend-wasm 4.22 cannot compute
    const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D
    const g = tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, 1)))(tf.ones([3, 3, 2, 2]))
    // interior taps see all 16 pixels, edge taps 12, corners 9 (pad 1 on a 4x4 input)
    expect(Array.from(g.dataSync()).slice(0, 4)).toEqual([9, 9, 9, 9])
    expect(g.dataSync()[4 * 4]).toBe(16)
    tf.dispose([x, g])
  })

  it('nodeWasmDir points at the installed .wasm files', () => {
    const dir = nodeWasmDir()
    expect(dir.endsWith('/')).toBe(true)
    for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
      expect(existsSync(dir + f), f).toBe(true)
    }
  })
})
