// An experiment for the GPU measurement (scripts/gpu/webgpu-step.ts --pipelined N): PGD-7
// training steps back to back with the loss read back only after the Nth, so the GPU queue does
// not drain between steps. The app's trainStep reads every step's loss before its update (a
// non-finite loss leaves the model untouched), which waits for the GPU once per step; this
// measures what that wait costs. Not the app's loop: no NaN guard here.

import * as tf from '@tensorflow/tfjs-core'
import type { Model } from '../core/model/resnet'
import type { CifarSet } from '../core/data/cifar'
import { createRng } from '../core/rng'
import { finishPass, trainingInput, trainPass, type Stepper } from '../core/train/finetune'
import { Sgd } from '../core/train/sgd'
import { firstBatch, PGD7 } from './workloads'

/** Milliseconds per step, one figure per rep, of `steps` PGD-7 steps per loss read-back. */
export async function pipelinedPgd7(model: Model, set: CifarSet, batch: number, steps: number, reps: number): Promise<number[]> {
  const s: Stepper = { model, sgd: new Sgd(model.trainable, 0.9, 5e-4), rng: createRng(11) }
  const b = firstBatch(set, batch)
  const run = async () => {
    let last: tf.Tensor | null = null
    for (let i = 0; i < steps; i++) {
      const x = tf.tensor4d(b.x, [b.size, 32, 32, 3])
      const y = tf.tensor1d(b.y, 'int32')
      const xAdv = await trainingInput(s, x, y, PGD7)
      const pass = trainPass(s, xAdv, y) // trainStep's pass and update, without its read-back
      finishPass(s, pass, 0.01, true)
      tf.dispose([x, y, xAdv, ...(last ? [last] : [])])
      last = pass.value
    }
    await last!.data()
    last!.dispose()
  }
  await run() // warm-up
  const ms: number[] = []
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now()
    await run()
    ms.push((performance.now() - t0) / steps)
  }
  s.sgd.dispose()
  return ms
}
