// Re-prints the benchmark's tables from a results file (default bench/out/results.json), e.g. to
// paste into bench/RESULTS.md:  npx tsx bench/node/print.ts [results.json]

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BackendRun } from '../tasks/result'
import { OUT_DIR } from './assets'
import { memoryTable, ratios, ratioTable, speedTable } from './report'

const r = JSON.parse(readFileSync(process.argv[2] ?? join(OUT_DIR, 'results.json'), 'utf8')) as { runs: BackendRun[]; machine: { nproc: number } }
const rs = ratios(r.runs, r.machine.nproc)
console.log(speedTable(r.runs, rs))
console.log('\nadvtune ÷ PyTorch CPU, same batch and threads:\n' + ratioTable(rs))
console.log('\n' + memoryTable(r.runs))
