// The convolution kernels one by one: ResNet-20's three 3x3 stride-1 convolutions (batch 128),
// forward, input gradient and weight gradient, timed with advtune's Winograd kernels and with
// XNNPACK in headless Chromium at 1 and 2 threads (the bench page's task 'conv-kernels'), and in
// eager PyTorch on the CPU at the same thread counts, all in one run. Also checks that every
// Winograd output is bit-identical at every thread count (each output's hash).
//
//   npx tsx bench/node/conv-kernels.ts [--batch 128] [--reps 7] [--threads 1,2] [--out bench/out/conv-kernels.json]

import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { ConvKernelsPage } from '../tasks/conv-kernels'
import { num, parseArgs, str } from './args'
import { launchChromium, runBenchPage, serveDev } from './browser'

interface TorchRow {
  shape: string
  op: string
  ms: number
}

const PYTHON = '/usr/bin/python3' // Debian's interpreter, the one with torch

async function main() {
  const a = parseArgs(process.argv.slice(2))
  const batch = num(a, 'batch', 128)
  const reps = num(a, 'reps', 7)
  const threadCounts = str(a, 'threads', '1,2').split(',').map(Number)
  const out = str(a, 'out', 'bench/out/conv-kernels.json')
  const log = (s: string) => process.stderr.write(`${s}\n`)

  const pages = new Map<number, ConvKernelsPage>()
  const served = await serveDev()
  const browser = await launchChromium()
  try {
    for (const t of threadCounts) {
      const backend = t === 1 ? 'wasm-1t' : 'wasm'
      log(`== Chromium WASM, ${t} thread(s)`)
      pages.set(t, await runBenchPage<ConvKernelsPage>(browser, served, { task: 'conv-kernels', backend, threads: t, batch, reps }, { timeoutMs: 600_000, log }))
    }
  } finally {
    await browser.close()
    await served.close()
  }
  const torch = new Map<number, TorchRow[]>()
  for (const t of threadCounts) {
    log(`== PyTorch CPU, ${t} thread(s)`)
    const json = execFileSync(PYTHON, ['bench/node/torch_convs.py', '--threads', String(t), '--batch', String(batch), '--reps', String(reps)], {
      encoding: 'utf8',
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
    })
    torch.set(t, JSON.parse(json) as TorchRow[])
  }

  // Bit-identical across thread counts: the same hash for every (shape, op) of the Winograd kernels.
  const first = pages.get(threadCounts[0])!.rows
  const mismatches = first
    .filter((r) => r.kernels === 'winograd')
    .filter((r) => threadCounts.some((t) => pages.get(t)!.rows.find((q) => q.shape === r.shape && q.op === r.op && q.kernels === r.kernels)!.hash !== r.hash))

  const lines = ['| shape | op | threads | Winograd ms | XNNPACK ms | PyTorch ms | × XNNPACK | × PyTorch |', '|---|---|---|---|---|---|---|---|']
  for (const r of first.filter((r) => r.kernels === 'winograd')) {
    for (const t of threadCounts) {
      const rows = pages.get(t)!.rows
      const win = rows.find((q) => q.shape === r.shape && q.op === r.op && q.kernels === 'winograd')!.ms
      const xnn = rows.find((q) => q.shape === r.shape && q.op === r.op && q.kernels === 'xnnpack')!.ms
      const pt = torch.get(t)!.find((q) => q.shape === r.shape && q.op === r.op)!.ms
      lines.push(`| ${r.shape} | ${r.op} | ${t} | ${win.toFixed(2)} | ${xnn.toFixed(2)} | ${pt.toFixed(2)} | ${(xnn / win).toFixed(2)}x | ${(pt / win).toFixed(2)}x |`)
    }
  }
  for (const l of lines) console.log(l)
  for (const [t, p] of pages) if (p.grainsByThread.length) console.log(`${t} threads: Winograd grains per thread ${p.grainsByThread.join(' / ')}`)
  console.log(
    mismatches.length ? `NOT bit-identical across threads: ${mismatches.map((r) => `${r.shape} ${r.op}`).join(', ')}` : `Winograd outputs bit-identical at ${threadCounts.join(' and ')} thread(s)`,
  )
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify({ measuredAt: new Date().toISOString(), batch, reps, pages: Object.fromEntries(pages), torch: Object.fromEntries(torch), mismatches }, null, 1))
  if (mismatches.length) process.exit(1)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
