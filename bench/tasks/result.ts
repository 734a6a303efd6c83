// What one benchmarked environment reports (Node, a Chromium page, PyTorch, the GPU script):
// the same JSON shape from every side, so the table and the ratios are computed in one place.

import type { MemoryCheck, Timing, WorkloadPlan } from './workloads'

export interface BackendRun {
  id: string // e.g. 'node-wasm', 'chromium-webgpu', 'torch-cpu-2t'
  env: 'node' | 'chromium' | 'python'
  backend: string // the backend actually in use (tf.getBackend()), or 'torch-cpu' / 'torch-cuda'
  threads: number | null // compute threads: XNNPACK threads for WASM, torch.get_num_threads(); null: not ours to set
  adapter?: string // GPU adapter description, when there is one
  plan: WorkloadPlan
  timings: Timing[]
  memory: MemoryCheck | null
  lastLoss: number | null
  setupMs?: number // backend start + model load, before any workload
  versions: Record<string, string>
  error?: string
}
