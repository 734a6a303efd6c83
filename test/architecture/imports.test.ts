// The import rules that keep the layers apart: core ← worker ← store ← ui. The core is plain
// TypeScript over tfjs (no React, no store, nothing of the page); the worker trains and never
// reaches the store or the UI; the store talks to the worker only through its typed protocol and
// client; the UI goes through the store; and the page's thread never loads tfjs. Imports are read
// with TypeScript's own pre-processor (static, dynamic and `new URL(…, import.meta.url)` workers).

import { execSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const REPO = resolve(import.meta.dirname, '../..')
const rel = (abs: string) => relative(REPO, abs)

interface Import {
  from: string // repo-relative file
  spec: string // as written
  to: string // repo-relative file, or the package name
  local: boolean
}

const WORKER_URL = /new\s+URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g

function resolveLocal(from: string, spec: string): string {
  // An asset import (Vite's '?url') names a file: the query is not part of its path.
  const base = resolve(REPO, dirname(from), spec.replace(/\?[^/]*$/, ''))
  const found = [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`].find((c) => existsSync(c) && statSync(c).isFile())
  if (!found) throw new Error(`${from}: cannot resolve ${spec}`)
  return rel(found)
}

const packageName = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/')

function importsOf(file: string): Import[] {
  const text = readFileSync(resolve(REPO, file), 'utf8')
  const specs = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName)
  for (const m of text.matchAll(WORKER_URL)) specs.push(m[1])
  return specs
    .filter((s) => !s.endsWith('.css'))
    .map((spec) => (spec.startsWith('.') ? { from: file, spec, to: resolveLocal(file, spec), local: true } : { from: file, spec, to: packageName(spec), local: false }))
}

const SOURCES = execSync("git ls-files -co --exclude-standard 'src/*.ts' 'src/*.tsx'", { cwd: REPO, encoding: 'utf8' }).split('\n').filter(Boolean)
const ALL = SOURCES.flatMap(importsOf)
const layer = (file: string) => (file.startsWith('src/') ? (file.split('/')[1].match(/^(core|worker|store|ui)$/)?.[0] ?? 'app') : 'outside')
const described = (i: Import) => `${i.from} imports ${i.spec}`

/** The imports of `from`-layer files that break the rule `allowed`. */
function violations(from: string, allowed: (i: Import) => boolean): string[] {
  const mine = ALL.filter((i) => layer(i.from) === from)
  expect(mine.length).toBeGreaterThan(0) // the rule looks at something
  return mine.filter((i) => !allowed(i)).map(described)
}

describe('layers', () => {
  it('core imports only core, tfjs and fflate', () => {
    expect(violations('core', (i) => (i.local ? layer(i.to) === 'core' : i.to.startsWith('@tensorflow/') || i.to === 'fflate'))).toEqual([])
  })

  it('the worker imports only the core, itself and tfjs: never the store or the UI', () => {
    expect(violations('worker', (i) => (i.local ? ['core', 'worker'].includes(layer(i.to)) : i.to.startsWith('@tensorflow/')))).toEqual([])
  })

  it('the store reaches the worker only through its protocol and client, and never the UI or React', () => {
    const gateway = new Set(['src/worker/protocol.ts', 'src/worker/client.ts'])
    expect(violations('store', (i) => (i.local ? ['core', 'store'].includes(layer(i.to)) || gateway.has(i.to) : i.to === 'zustand'))).toEqual([])
  })

  it('the UI goes through the store: no worker, no tfjs', () => {
    expect(violations('ui', (i) => (i.local ? ['core', 'store', 'ui'].includes(layer(i.to)) : !i.to.startsWith('@tensorflow/')))).toEqual([])
  })

  it('nothing in src/ imports the benchmark, the scripts or the tests', () => {
    expect(ALL.filter((i) => i.local && layer(i.to) === 'outside').map(described)).toEqual([])
  })

  it('the core does not know the page, React or the store exists', () => {
    const ui = ['react', 'react-dom', 'zustand', 'recharts']
    expect(ALL.filter((i) => layer(i.from) === 'core' && !i.local && ui.includes(i.to)).map(described)).toEqual([])
  })
})

/** Every file reachable from `entry` through local imports, and each package with its first importer. */
function reachable(entry: string) {
  const seen = new Set<string>()
  const packages = new Map<string, string>()
  const stack = [entry]
  while (stack.length) {
    const file = stack.pop()!
    if (seen.has(file)) continue
    seen.add(file)
    for (const i of importsOf(file)) {
      if (i.local) {
        // The worker runs on its own thread: its module graph is not the page's.
        if (!/\.worker\.ts$/.test(i.to)) stack.push(i.to)
      } else if (!packages.has(i.to)) packages.set(i.to, file)
    }
  }
  return { files: [...seen], packages }
}

describe('main thread', () => {
  it('imports no tfjs, directly or through any module it reaches', () => {
    const { files, packages } = reachable('src/main.tsx')
    expect(files).toContain('src/worker/client.ts')
    expect(files).toContain('src/core/export/tfjs-format.ts')
    expect([...packages].filter(([p]) => p.startsWith('@tensorflow/'))).toEqual([])
    expect(files.filter((f) => /src\/worker\/(handler|train\.worker|backends)/.test(f))).toEqual([])
  })
})
