// Turns the benchmark's runs into ratios against PyTorch and plain-text tables. Pure functions
// over the JSON the parts write, so the table can be re-printed from bench/out/results.json.

import type { BackendRun } from '../tasks/result'
import { LABELS, WORKLOADS, type WorkloadName } from '../tasks/workloads'

export interface Ratio {
  run: string
  torch: string // the PyTorch run it is compared with: same batch, same thread count
  workload: WorkloadName
  batch: number
  ratio: number // advtune images/s ÷ PyTorch images/s (medians)
  best: number // the same from each side's fastest run (steadier on a shared machine)
}

/**
 * The PyTorch run to compare `r` with: same batch and the same CPU threads. Backends that use the
 * CPU without a thread setting of ours (WebGL/WebGPU on SwiftShader) compare with `allThreads`.
 */
export function torchPeer(r: BackendRun, runs: BackendRun[], allThreads: number): BackendRun | undefined {
  const threads = r.threads ?? allThreads
  return runs.find((t) => t.env === 'python' && t.backend === 'torch-cpu' && t.threads === threads && t.plan.batch === r.plan.batch)
}

export function ratios(runs: BackendRun[], allThreads: number): Ratio[] {
  const out: Ratio[] = []
  for (const r of runs) {
    if (r.env === 'python' || r.error) continue
    const peer = torchPeer(r, runs, allThreads)
    if (!peer) continue
    for (const t of r.timings) {
      const p = peer.timings.find((x) => x.workload === t.workload)
      if (p) out.push({ run: r.id, torch: `${peer.id} b${peer.plan.batch}`, workload: t.workload, batch: t.batch, ratio: t.imagesPerSec / p.imagesPerSec, best: t.imagesPerSecMax / p.imagesPerSecMax })
    }
  }
  return out
}

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2))
const pad = (s: string, n: number) => s.padEnd(n)
export const fmtRatio = (r: number) => `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}x`

/** Runs × workloads: median images/s with [slowest–fastest run], and the ratio to PyTorch. */
export function speedTable(runs: BackendRun[], rs: Ratio[]): string {
  const head = ['run', 'threads', 'batch', 'runs', ...WORKLOADS.map((w) => LABELS[w])]
  const rows = runs.map((r) => {
    if (r.error) return [r.id, '', '', '', `failed: ${r.error.split('\n')[0].slice(0, 100)}`]
    const reps = [...new Set(r.timings.map((t) => t.ms.length))].join('/')
    return [
      r.id,
      r.threads == null ? '-' : String(r.threads),
      String(r.plan.batch),
      reps,
      ...WORKLOADS.map((w) => {
        const t = r.timings.find((x) => x.workload === w)
        if (!t) return '-'
        const ratio = rs.find((x) => x.run === r.id && x.workload === w)
        return `${fmt(t.imagesPerSec)} [${fmt(t.imagesPerSecMin)}–${fmt(t.imagesPerSecMax)}]${ratio ? ` ${fmtRatio(ratio.ratio)}` : ''}`
      }),
    ]
  })
  return table(head, rows)
}

/** A Markdown table, padded so it also reads in a terminal. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => `| ${head.map((_, i) => pad(cells[i] ?? '', widths[i])).join(' | ')} |`
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n')
}

/** advtune ÷ PyTorch per run and workload: from the medians, and from the fastest runs. */
export function ratioTable(rs: Ratio[]): string {
  const runs = [...new Set(rs.map((r) => r.run))]
  const rows = runs.map((run) => {
    const of = rs.filter((r) => r.run === run)
    return [
      run,
      of[0].torch,
      ...WORKLOADS.map((w) => {
        const r = of.find((x) => x.workload === w)
        return r ? `${fmtRatio(r.ratio)} (best ${fmtRatio(r.best)})` : '-'
      }),
    ]
  })
  return table(['run', 'PyTorch peer', ...WORKLOADS.map((w) => LABELS[w])], rows)
}

const mb = (n: number | undefined) => (n == null ? '-' : `${(n / 2 ** 20).toFixed(1)} MiB`)

/** Tensor count and bytes before and after the timed training steps of every tfjs run. */
export function memoryTable(runs: BackendRun[]): string {
  const rows: string[][] = []
  for (const r of runs) {
    const m = r.memory
    if (!m || r.env === 'python') continue
    const gpu = m.before.numBytesInGPU != null
    const heap = gpu ? [m.before.numBytesInGPU, m.after.numBytesInGPU] : [m.before.wasmHeapBytes, m.after.wasmHeapBytes]
    rows.push([
      r.id,
      String(m.steps),
      `${m.before.numTensors} → ${m.after.numTensors}`,
      `${mb(m.before.numBytes)} → ${mb(m.after.numBytes)}`,
      `${gpu ? 'GPU' : 'WASM heap'} ${mb(heap[0])} → ${mb(heap[1])}`,
    ])
  }
  return table(['run', 'PGD-7 steps between', 'tensors', 'tensor bytes', 'backend memory'], rows)
}
