// How a run on the WASM backend uses a machine's cores: W workers (the training worker and W − 1
// attack helpers, each taking a share of every PGD attack; attackPool.ts) × T XNNPACK threads in
// each. Threads split the convolutions, 83-87 % of a one-thread step, with no copies and no
// messages; helpers also split the element-wise work but copy the weights to each helper for
// every attack and leave the update step unsplit. On 2 cores, 2 threads ran the PGD-7 step
// 1.23-1.39x faster than the training worker + 1 helper in three side-by-side runs
// (bench/RESULTS.md). Wider machines were not measured here: pools of up to 4 threads keep each
// worker's single-threaded element-wise share from dominating, and beyond that more workers
// split the attack (past 32 cores, at the 8-worker cap, the pools grow to 8 threads).

export interface CpuPlan {
  workers: number // the training worker + attack helpers, at most 8
  threadsPerWorker: number // XNNPACK threads in each, at most 8 (tfjs's pthread pool)
}

const MAX_WORKERS = 8 // beyond 8 shards of a 128-image batch the messages cost more than they save
const MAX_THREADS = 8 // tfjs-wasm's pthread pool holds 8 workers
const THREADS_PER_WORKER = 4

/**
 * The plan for `cores` threads in all (by default navigator.hardwareConcurrency). Without
 * cross-origin isolation (COOP/COEP) WASM cannot run threads, so every core gets a worker.
 */
export function cpuPlan(cores: number | undefined, canThread: boolean): CpuPlan {
  const n = Math.max(1, Math.floor(cores ?? 1))
  if (!canThread) return { workers: Math.min(MAX_WORKERS, n), threadsPerWorker: 1 }
  const workers = Math.min(MAX_WORKERS, Math.ceil(n / THREADS_PER_WORKER))
  return { workers, threadsPerWorker: Math.min(MAX_THREADS, Math.floor(n / workers)) }
}

/**
 * How the badge names the threads each worker really got (the training worker's first), e.g.
 * "2 threads" or "8 threads: training worker + 1 attack helper, 4 threads each".
 */
export function describeThreads(perWorker: number[]): string {
  const total = perWorker.reduce((a, b) => a + b, 0)
  if (perWorker.length <= 1) return total === 1 ? 'one thread' : `${total} threads`
  const helpers = perWorker.length - 1
  const same = perWorker.every((t) => t === perWorker[0])
  const each = !same ? ` (${perWorker.join(' + ')})` : perWorker[0] > 1 ? `, ${perWorker[0]} threads each` : ''
  return `${total} threads: training worker + ${helpers} attack helper${helpers > 1 ? 's' : ''}${each}`
}
