// The convolution kernels one by one: ResNet-20's three 3x3 stride-1 convolutions (batch 128),
// forward, input gradient and weight gradient, timed with advtune's Winograd kernels (the fused
// multiply-add builds Chromium runs, and the plain builds) and with XNNPACK in headless Chromium
// at 1 and 2 threads (the bench page's task 'conv-kernels'), and in eager PyTorch on the CPU at the
// same thread counts, all in one run. Also checks that each build's Winograd outputs are
// bit-identical at every thread count (each output's hash).
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

  const pages = new Map<number, ConvKernelsPage>() // the default builds (fused multiply-add where Chromium has relaxed SIMD)
  const plainPages = new Map<number, ConvKernelsPage>()
  const served = await serveDev()
  const browser = await launchChromium()
  try {
    for (const t of threadCounts) {
      const backend = t === 1 ? 'wasm-1t' : 'wasm'
      for (const [build, into] of [
        ['', pages],
        ['-nofma', plainPages],
      ] as const) {
        log(`== Chromium WASM, ${t} thread(s)${build ? ', plain builds' : ''}`)
        into.set(t, await runBenchPage<ConvKernelsPage>(browser, served, { task: 'conv-kernels', backend: `${backend}${build}`, threads: t, batch, reps }, { timeoutMs: 600_000, log }))
      }
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

  // Bit-identical across thread counts: the same hash for every (shape, op) of each build's Winograd kernels.
  const first = pages.get(threadCounts[0])!.rows
  const find = (p: Map<number, ConvKernelsPage>, t: number, r: { shape: string; op: string }, kernels: string) =>
    p.get(t)!.rows.find((q) => q.shape === r.shape && q.op === r.op && q.kernels === kernels)!
  const mismatches = [pages, plainPages].flatMap((p, i) =>
    first
      .filter((r) => r.kernels === 'winograd')
      .filter((r) => threadCounts.some((t) => find(p, t, r, 'winograd').hash !== find(p, threadCounts[0], r, 'winograd').hash))
      .map((r) => `${r.shape} ${r.op}${i ? ' (plain builds)' : ''}`),
  )
  const fma = pages.get(threadCounts[0])!.adapter.includes('FMA')

  const lines = [
    `| shape | op | threads | Winograd ms (${fma ? 'FMA' : 'plain'}) | plain builds ms | XNNPACK ms | PyTorch ms | × plain | × XNNPACK | × PyTorch |`,
    '|---|---|---|---|---|---|---|---|---|---|',
  ]
  for (const r of first.filter((r) => r.kernels === 'winograd')) {
    for (const t of threadCounts) {
      const win = find(pages, t, r, 'winograd').ms
      const plain = find(plainPages, t, r, 'winograd').ms
      const xnn = find(pages, t, r, 'xnnpack').ms
      const pt = torch.get(t)!.find((q) => q.shape === r.shape && q.op === r.op)!.ms
      const cells = [win, plain, xnn, pt].map((v) => v.toFixed(2))
      lines.push(`| ${r.shape} | ${r.op} | ${t} | ${cells.join(' | ')} | ${(plain / win).toFixed(2)}x | ${(xnn / win).toFixed(2)}x | ${(pt / win).toFixed(2)}x |`)
    }
  }
  for (const l of lines) console.log(l)
  for (const [t, p] of pages) console.log(`${t} thread(s): ${p.adapter}${p.grainsByThread.length ? `; Winograd grains per thread ${p.grainsByThread.join(' / ')}` : ''}`)
  console.log(mismatches.length ? `NOT bit-identical across threads: ${mismatches.join(', ')}` : `Winograd outputs bit-identical at ${threadCounts.join(' and ')} thread(s), in each build`)
  mkdirSync(dirname(out), { recursive: true })
  const json = { measuredAt: new Date().toISOString(), batch, reps, pages: Object.fromEntries(pages), plainPages: Object.fromEntries(plainPages), torch: Object.fromEntries(torch), mismatches }
  writeFileSync(out, JSON.stringify(json, null, 1))
  if (mismatches.length) process.exit(1)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
