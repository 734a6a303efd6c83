// SGD with momentum and weight decay, exactly PyTorch's torch.optim.SGD (dampening 0, no
// Nesterov): g ← g + wd·p;  buf ← μ·buf + g (buf = g on the first step);  p ← p − lr·buf.

import * as tf from '@tensorflow/tfjs-core'
import type { HostArray } from './snapshot-data'

/**
 * A backend may register this kernel: inputs {p, g, buf} and optionally {gate}, attrs
 * {weightDecay, momentum, lr}, the update below in one go, where a gate is given only if gate[0]
 * is 1; outputs [new buf, new p], or none where it wrote p and buf in place (WebGPU:
 * src/core/backend/webgpu/sgd.ts).
 */
export type { HostArray } from './snapshot-data'

export const SGD_MOMENTUM_KERNEL = 'AdvtuneSgdMomentum'

export class Sgd {
  private readonly buffers = new Map<string, tf.Variable>()

  constructor(
    private readonly params: tf.Variable[],
    private readonly momentum: number,
    private readonly weightDecay: number,
  ) {}

  /** Whether updates can be gated on the device (step's `gate`): the fused kernel, after the first step. */
  canGate(): boolean {
    return this.momentum !== 0 && this.buffers.size === this.params.length && tf.getKernel(SGD_MOMENTUM_KERNEL, tf.getBackend()) != null
  }

  /**
   * Applies one update; `grads` is keyed by variable name, as tf.variableGrads returns it. With
   * `gate` (one element, 0 or 1, on the device) the update happens only where it is 1: needs canGate().
   */
  step(grads: tf.NamedTensorMap, lr: number, gate?: tf.Tensor): void {
    if (gate && !this.canGate()) throw new Error('a gated SGD step needs the fused kernel and momentum buffers')
    tf.tidy(() => {
      // The three factors as tensors once per step, not once per parameter: on WebGPU every
      // number in an op is a separate upload to the GPU (3 × 59 of them for ResNet-20).
      const [wd, mu, rate] = [tf.scalar(this.weightDecay), tf.scalar(this.momentum), tf.scalar(lr)]
      const fused = this.momentum !== 0 && tf.getKernel(SGD_MOMENTUM_KERNEL, tf.getBackend()) != null
      for (const p of this.params) {
        const g0 = grads[p.name]
        if (!g0) throw new Error(`no gradient for ${p.name}`)
        const buf = this.buffers.get(p.name)
        if (fused && buf) {
          const attrs = { weightDecay: this.weightDecay, momentum: this.momentum, lr }
          const out = tf.engine().runKernel(SGD_MOMENTUM_KERNEL, gate ? { p, g: g0, buf, gate } : { p, g: g0, buf }, attrs as never) as tf.Tensor[]
          if (out.length) {
            buf.assign(out[0])
            p.assign(out[1])
          }
          continue
        }
        const g = this.weightDecay ? tf.add(g0, tf.mul(p, wd)) : g0
        let update: tf.Tensor = g
        if (this.momentum) {
          if (!buf) this.buffers.set(p.name, tf.variable(g, false))
          else buf.assign(tf.add(tf.mul(buf, mu), g))
          update = this.buffers.get(p.name)!
        }
        p.assign(tf.sub(p, tf.mul(update, rate)))
      }
    })
  }

  /**
   * The momentum buffers (none before the first step), for a resumable snapshot; `nameOf` names
   * each parameter as the snapshot should (tfjs's own variable names differ from model to model).
   */
  async exportBuffers(nameOf: (p: tf.Variable) => string): Promise<HostArray[]> {
    const out: HostArray[] = []
    for (const p of this.params) {
      const b = this.buffers.get(p.name)
      if (b) out.push({ name: nameOf(p), shape: [...b.shape], data: new Float32Array((await b.data()) as Float32Array) })
    }
    return out
  }

  /** Replaces the momentum buffers with saved ones (exportBuffers of the same parameters, named alike). */
  importBuffers(saved: readonly HostArray[], nameOf: (p: tf.Variable) => string): void {
    if (saved.length !== 0 && saved.length !== this.params.length) throw new Error(`the snapshot has ${saved.length} momentum buffers, the model ${this.params.length} parameters`)
    const byName = new Map(saved.map((b) => [b.name, b]))
    this.dispose()
    if (saved.length === 0) return
    for (const p of this.params) {
      const b = byName.get(nameOf(p))
      if (!b || b.shape.join('x') !== p.shape.join('x')) throw new Error(`the snapshot has no momentum buffer of shape [${p.shape}] for ${nameOf(p)}`)
      this.buffers.set(
        p.name,
        tf.tidy(() => tf.variable(tf.tensor(b.data, b.shape, 'float32'), false)),
      )
    }
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose()
    this.buffers.clear()
  }
}
