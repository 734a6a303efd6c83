// Registers every op's gradient with tfjs-core, which on its own registers none (tf.grad then
// fails with "gradient function not found for Sum"). The registrations ship as an ES-module
// file that Node cannot load (directory imports), and inside '@tensorflow/tfjs', whose Node
// bundle can, but which would add ~670 kB (minified) of layers/converter to a browser bundle.
// So: per environment, loaded on demand.
import { env } from '@tensorflow/tfjs-core'

let done: Promise<unknown> | null = null

/** Idempotent; safe to call from every backend's start-up. */
export function ensureGradients(): Promise<void> {
  done ??= env().getBool('IS_NODE') ? import('@tensorflow/tfjs') : import('@tensorflow/tfjs-core/dist/register_all_gradients')
  return done.then(() => undefined)
}
