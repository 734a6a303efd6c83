// SGD with momentum and weight decay, exactly PyTorch's torch.optim.SGD (dampening 0, no
// Nesterov): g ← g + wd·p;  buf ← μ·buf + g (buf = g on the first step);  p ← p − lr·buf.

import * as tf from '@tensorflow/tfjs-core'

export class Sgd {
  private readonly buffers = new Map<string, tf.Variable>()

  constructor(
    private readonly params: tf.Variable[],
    private readonly momentum: number,
    private readonly weightDecay: number,
  ) {}

  /** Applies one update; `grads` is keyed by variable name, as tf.variableGrads returns it. */
  step(grads: tf.NamedTensorMap, lr: number): void {
    tf.tidy(() => {
      for (const p of this.params) {
        const g0 = grads[p.name]
        if (!g0) throw new Error(`no gradient for ${p.name}`)
        const g = this.weightDecay ? tf.add(g0, tf.mul(p, this.weightDecay)) : g0
        let update: tf.Tensor = g
        if (this.momentum) {
          const buf = this.buffers.get(p.name)
          if (!buf) this.buffers.set(p.name, tf.variable(g, false))
          else buf.assign(tf.add(tf.mul(buf, this.momentum), g))
          update = this.buffers.get(p.name)!
        }
        p.assign(tf.sub(p, tf.mul(update, lr)))
      }
    })
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose()
    this.buffers.clear()
  }
}
