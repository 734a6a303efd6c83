// The build's check of advtune's kernel modules before they are loaded into tfjs's heap
// (scripts/native/module-check.ts): the four modules `npm run setup` built pass, those with the
// fused multiply-add Node cannot compile included, and modules that would own or import
// something besides tfjs's memory are refused with the reason.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { moduleProblems } from '../../scripts/native/module-check'
import { repoRoot } from './helpers'

const ascii = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))]
const section = (id: number, content: number[]) => [id, content.length, ...content]
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]
const MEMORY_IMPORT = [...ascii('env'), ...ascii('memory'), 0x02, 0x03, 0x01, 0x80, 0x80, 0x04] // shared, min 1, max 65536 pages
const FUNC_IMPORT = [...ascii('env'), ...ascii('log'), 0x00, 0x00]
const TYPES = section(1, [0x01, 0x60, 0x00, 0x00])
const mod = (...sections: number[][]) => new Uint8Array([...HEADER, ...sections.flat()])

describe('the kernel module check', () => {
  it.each(['winograd.wasm', 'winograd-mt.wasm', 'winograd-fma.wasm', 'winograd-fma-mt.wasm'])('passes the built %s', (name) => {
    const bytes = new Uint8Array(readFileSync(join(repoRoot, 'src/core/backend/wasm/native/out', name)))
    expect(moduleProblems(bytes)).toEqual([])
  })

  it('passes a module that imports env.memory alone, and refuses every way of owning or importing more', () => {
    expect(moduleProblems(mod(section(2, [0x01, ...MEMORY_IMPORT])))).toEqual([])
    expect(moduleProblems(mod(TYPES, section(2, [0x02, ...MEMORY_IMPORT, ...FUNC_IMPORT])))).toEqual(['it imports env.memory (memory), env.log (func); only env.memory is provided'])
    expect(moduleProblems(mod(section(2, [0x01, ...MEMORY_IMPORT]), section(11, [0x00])))).toEqual(['it has a data segment'])
    expect(moduleProblems(mod(section(2, [0x01, ...MEMORY_IMPORT]), section(8, [0x00])))).toEqual(['it has a start function'])
    expect(moduleProblems(mod(section(5, [0x01, 0x00, 0x01])))).toEqual(['it defines a memory instead of importing one', 'it imports nothing, where it must import env.memory'])
  })
})
