// The page's thread must never load tfjs (training lives in the worker): walk the static
// imports from src/main.tsx and check that no reachable module imports @tensorflow/*.

import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function resolveLocal(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec)
  const found = [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`].find((c) => existsSync(c) && statSync(c).isFile())
  return found ?? null
}

function reachable(entry: string) {
  const seen = new Set<string>()
  const packages = new Map<string, string>() // package → first importer
  const stack = [resolve(entry)]
  while (stack.length) {
    const file = stack.pop()!
    if (seen.has(file)) continue
    seen.add(file)
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3]
      if (spec.startsWith('.')) {
        if (spec.endsWith('.css')) continue
        const r = resolveLocal(file, spec)
        if (!r) throw new Error(`${file}: cannot resolve ${spec}`)
        stack.push(r)
      } else if (!packages.has(spec)) packages.set(spec, file)
    }
  }
  return { files: [...seen], packages }
}

describe('main thread', () => {
  it('imports no tfjs, directly or through any module it reaches', () => {
    const { files, packages } = reachable('src/main.tsx')
    expect(files.some((f) => f.endsWith('src/worker/client.ts'))).toBe(true)
    expect(files.some((f) => f.endsWith('src/core/export/tfjs-format.ts'))).toBe(true)
    const tf = [...packages].filter(([p]) => p.startsWith('@tensorflow/'))
    expect(tf).toEqual([])
    expect(files.filter((f) => /src\/worker\/(handler|train\.worker|backends)/.test(f))).toEqual([])
  })
})
