// A resumable snapshot of a run in training: everything fineTune's loop carries from one step to
// the next, as plain data (typed arrays and numbers), so it survives structured cloning into
// IndexedDB and across a postMessage. fineTune takes one at a drained step boundary (no step in
// flight) and, given one back, continues exactly where it was: same weights, BatchNorm statistics,
// momentum, random streams and data order, so the rest of the run is bit for bit the one that was
// never interrupted (on the same backend). The snapshot's plain-data shape is in snapshot-data.ts.

import * as tf from '@tensorflow/tfjs-core'
import type { Model } from '../model/resnet'
import { tensorSpecs, type ResNetSpec } from '../model/spec'
import type { TrainSnapshot } from './snapshot-data'

export { SNAPSHOT_VERSION, snapshotBuffers, snapshotBytes, snapshotProblem, type TrainSnapshot } from './snapshot-data'
import type { HostArray } from './snapshot-data'

export async function modelWeights(m: Model): Promise<HostArray[]> {
  return Promise.all([...m.vars].map(async ([name, v]) => ({ name, shape: [...v.shape], data: new Float32Array((await v.data()) as Float32Array) })))
}

/** Writes a snapshot's weights into `m` (same architecture: every variable named, shapes equal). */
export function restoreWeights(m: Model, s: Pick<TrainSnapshot, 'weights' | 'batchesTracked'>): void {
  if (s.weights.length !== m.vars.size) throw new Error(`the snapshot has ${s.weights.length} tensors, the model ${m.vars.size}`)
  for (const w of s.weights) {
    const v = m.vars.get(w.name)
    if (!v || v.shape.join('x') !== w.shape.join('x')) throw new Error(`the snapshot's ${w.name} [${w.shape}] does not fit the model`)
  }
  tf.tidy(() => {
    for (const w of s.weights) m.vars.get(w.name)!.assign(tf.tensor(w.data, w.shape, 'float32'))
  })
  m.batchesTracked = s.batchesTracked
}

/** A model of `spec` holding a snapshot's weights (checked name by name and shape by shape). */
export function modelFromSnapshot(spec: ResNetSpec, s: Pick<TrainSnapshot, 'weights' | 'batchesTracked'>): Model {
  const byName = new Map(s.weights.map((w) => [w.name, w]))
  const specs = tensorSpecs(spec)
  if (specs.length !== s.weights.length || specs.some((t) => !byName.has(t.name))) throw new Error(`the snapshot's tensors are not those of ${spec.name}`)
  const vars = new Map<string, tf.Variable>()
  const trainable: tf.Variable[] = []
  for (const t of specs) {
    const w = byName.get(t.name)!
    const v = tf.tidy(() => tf.variable(tf.tensor(w.data, w.shape, 'float32'), t.trainable))
    vars.set(t.name, v)
    if (t.trainable) trainable.push(v)
  }
  return { spec, vars, trainable, batchesTracked: s.batchesTracked }
}
