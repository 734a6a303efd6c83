// Builds advtune's own WASM kernels (src/core/backend/wasm/native/*.c) with Debian's clang and
// lld, in four variants: for the single-threaded tfjs WASM build (its memory is plain) and for the
// threaded build (shared memory, which helper workers share), each plain and with relaxed SIMD's
// fused multiply-add (-fma), which the loader picks where the engine has relaxed SIMD. The
// relaxed-SIMD instructions' final encoding needs clang 16 or later (Debian 12: clang-19). The
// modules import tfjs's memory, so the build refuses any that would write into it on their own:
// a data segment, a start function, or a memory of their own. Output:
// src/core/backend/wasm/native/out/ (git-ignored). Skips the work when the outputs are newer than
// the sources and this script.
//
//   tsx scripts/native/build-kernels.ts [--force]

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { moduleProblems } from './module-check'

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const srcDir = join(root, 'src/core/backend/wasm/native')
const outDir = join(srcDir, 'out')
const self = fileURLToPath(import.meta.url)

const COMMON = [
  '--target=wasm32',
  '-O3',
  '-msimd128',
  '-mmutable-globals',
  '-nostdlib',
  '-ffreestanding',
  '-fno-builtin',
  '-Wall',
  '-Werror',
  '-Wl,--no-entry',
  '-Wl,--import-memory',
  // The shadow stack lives in a block the loader allocates; see set-up in winograd.ts.
  '-Wl,--export=__stack_pointer',
  '-Wl,-z,stack-size=0',
  '-Wl,--initial-memory=131072',
]
const SHARED = ['-matomics', '-mbulk-memory', '-Wl,--shared-memory', '-Wl,--max-memory=4294967296']
const FMA = ['-mrelaxed-simd', '-DADVTUNE_FMA']
const VARIANTS: { suffix: string; flags: string[] }[] = [
  { suffix: '', flags: [] },
  { suffix: '-mt', flags: SHARED },
  { suffix: '-fma', flags: FMA },
  { suffix: '-fma-mt', flags: [...FMA, ...SHARED] },
]
/** The oldest clang that encodes relaxed SIMD as engines now take it (earlier ones used the proposal's draft opcodes). */
const MIN_CLANG = 16

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' })
    return true
  } catch {
    return false
  }
}

/** The newest clang of version MIN_CLANG or later with its wasm-ld beside it (clang-N finds wasm-ld-N), or null. */
function findClang(): string | null {
  const names = ['clang-21', 'clang-20', 'clang-19', 'clang-18', 'clang-17', 'clang-16', 'clang']
  for (const clang of names) {
    if (!has(clang)) continue
    const version = /clang version (\d+)/.exec(execFileSync(clang, ['--version'], { encoding: 'utf8' }))
    const major = version ? Number(version[1]) : 0
    if (major >= MIN_CLANG && has(clang === 'clang' ? 'wasm-ld' : `wasm-ld-${major}`)) return clang
  }
  return null
}

function main(): number {
  const force = process.argv.includes('--force')
  const sources = readdirSync(srcDir).filter((f) => f.endsWith('.c'))
  const newestInput = Math.max(statSync(self).mtimeMs, ...sources.map((f) => statSync(join(srcDir, f)).mtimeMs))
  const outputs = sources.flatMap((f) => VARIANTS.map((v) => join(outDir, `${basename(f, '.c')}${v.suffix}.wasm`)))
  if (!force && outputs.every((o) => existsSync(o) && statSync(o).mtimeMs >= newestInput)) {
    console.log(`kernels: up to date (${outputs.length} modules in ${outDir})`)
    return 0
  }
  const clang = findClang()
  if (clang == null) {
    console.error(`kernels: building the WASM kernels needs clang ${MIN_CLANG} or later and its lld (wasm-ld).`)
    console.error('  what to do: bash scripts/system-deps.sh build   (or: apt-get install clang-19 lld-19)')
    return 1
  }
  mkdirSync(outDir, { recursive: true })
  const t0 = performance.now()
  for (const f of sources) {
    for (const v of VARIANTS) {
      const out = join(outDir, `${basename(f, '.c')}${v.suffix}.wasm`)
      const tmp = `${out}.tmp`
      execFileSync(clang, [...COMMON, ...v.flags, '-o', tmp, join(srcDir, f)], { stdio: 'inherit' })
      const problems = moduleProblems(new Uint8Array(readFileSync(tmp)))
      if (problems.length) throw new Error(`${basename(out)} would write into tfjs's memory on its own: ${problems.join('; ')}`)
      renameSync(tmp, out)
    }
  }
  console.log(`kernels: built ${outputs.length} modules with ${clang} in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  return 0
}

try {
  process.exit(main())
} catch (e) {
  console.error(`kernels: ${(e as Error).message}`)
  process.exit(1)
}
