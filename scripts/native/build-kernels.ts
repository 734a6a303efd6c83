// Builds advtune's own WASM kernels (src/core/backend/wasm/native/*.c) with Debian's clang and
// lld, in two variants: one for the single-threaded tfjs WASM build (its memory is plain) and
// one for the threaded build (shared memory, which helper workers share). The modules import
// tfjs's memory, so the build refuses any that would write into it on their own: a data
// segment, a start function, or a memory of their own. Output: src/core/backend/wasm/native/out/
// (git-ignored). Skips the work when the outputs are newer than the sources and this script.
//
//   tsx scripts/native/build-kernels.ts [--force]

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

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
const VARIANTS: { suffix: string; flags: string[] }[] = [
  { suffix: '', flags: [] },
  { suffix: '-mt', flags: ['-matomics', '-mbulk-memory', '-Wl,--shared-memory', '-Wl,--max-memory=4294967296'] },
]

function findTool(names: string[]): string | null {
  for (const n of names) {
    try {
      execFileSync('sh', ['-c', `command -v ${n}`], { stdio: 'pipe' })
      return n
    } catch {
      /* next */
    }
  }
  return null
}

/** The ids of a module's top-level sections (1 type, 2 import, 8 start, 11 data, ...). */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = []
  let i = 8
  while (i < bytes.length) {
    const id = bytes[i++]
    let size = 0
    let shift = 0
    let b: number
    do {
      b = bytes[i++]
      size |= (b & 0x7f) << shift
      shift += 7
    } while (b & 0x80)
    ids.push(id)
    i += size
  }
  return ids
}

function check(file: string): void {
  const bytes = new Uint8Array(readFileSync(file))
  const ids = sectionIds(bytes)
  const problems: string[] = []
  if (ids.includes(11)) problems.push('it has a data segment')
  if (ids.includes(8)) problems.push('it has a start function')
  if (ids.includes(5)) problems.push('it defines a memory instead of importing one')
  const mod = new WebAssembly.Module(bytes)
  const imports = WebAssembly.Module.imports(mod)
  if (imports.length !== 1 || imports[0].kind !== 'memory') problems.push(`it imports ${imports.map((i) => `${i.module}.${i.name}`).join(', ')}; only env.memory is provided`)
  if (problems.length) throw new Error(`${basename(file)} would write into tfjs's memory on its own: ${problems.join('; ')}`)
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
  const clang = findTool(['clang', 'clang-14', 'clang-15', 'clang-16'])
  const lld = findTool(['wasm-ld', 'wasm-ld-14', 'wasm-ld-15', 'wasm-ld-16'])
  if (clang == null || lld == null) {
    console.error(`kernels: building the WASM kernels needs clang and lld (missing: ${[clang ? '' : 'clang', lld ? '' : 'wasm-ld'].filter(Boolean).join(', ')}).`)
    console.error('  what to do: bash scripts/system-deps.sh build   (or: apt-get install clang lld)')
    return 1
  }
  mkdirSync(outDir, { recursive: true })
  const t0 = performance.now()
  for (const f of sources) {
    for (const v of VARIANTS) {
      const out = join(outDir, `${basename(f, '.c')}${v.suffix}.wasm`)
      const tmp = `${out}.tmp`
      execFileSync(clang, [...COMMON, ...v.flags, '-o', tmp, join(srcDir, f)], { stdio: 'inherit' })
      check(tmp)
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
