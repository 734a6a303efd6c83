// Checks a built kernel module's bytes before advtune loads it into tfjs's heap (build-kernels.ts).
// It reads the sections itself, not through WebAssembly.Module: Node's engine may lack relaxed SIMD
// and refuse to compile the -fma builds it need not run.

/** Reads a module's bytes in order: unsigned LEB128 integers, names, raw bytes. */
class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at = 0,
  ) {}
  byte(): number {
    return this.bytes[this.at++]
  }
  u32(): number {
    let v = 0
    let shift = 0
    let b: number
    do {
      b = this.byte()
      v += (b & 0x7f) * 2 ** shift
      shift += 7
    } while (b & 0x80)
    return v
  }
  name(): string {
    const n = this.u32()
    this.at += n
    return new TextDecoder().decode(this.bytes.subarray(this.at - n, this.at))
  }
}

/** A module's top-level sections (1 type, 2 import, 5 memory, 8 start, 11 data, ...) and where their contents lie. */
function sections(bytes: Uint8Array): { id: number; start: number }[] {
  const found: { id: number; start: number }[] = []
  const r = new Reader(bytes, 8)
  while (r.at < bytes.length) {
    const id = r.byte()
    const size = r.u32()
    found.push({ id, start: r.at })
    r.at += size
  }
  return found
}

const IMPORT_KINDS = ['func', 'table', 'memory', 'global', 'tag']

/** A module's imports, read from its import section. */
function importsOf(bytes: Uint8Array, importSection: number | undefined): { name: string; kind: string }[] {
  if (importSection == null) return []
  const r = new Reader(bytes, importSection)
  return Array.from({ length: r.u32() }, () => {
    const name = `${r.name()}.${r.name()}`
    const kind = r.byte()
    if (kind === 0)
      r.u32() // a function's type index
    else if (kind === 1 || kind === 2) {
      if (kind === 1) r.byte() // a table's element type
      const flags = r.byte() // limits: min, then max where flags & 1
      r.u32()
      if (flags & 1) r.u32()
    } else if (kind === 3)
      r.at += 2 // a global's value type and mutability
    else r.at += 2 // a tag's attribute and type index (index < 128 here)
    return { name, kind: IMPORT_KINDS[kind] ?? `kind ${kind}` }
  })
}

/**
 * Why a kernel module could not safely run on tfjs's memory: it must import exactly env.memory and
 * own nothing in it (no data segment, no start function, no memory of its own). [] when it can.
 */
export function moduleProblems(bytes: Uint8Array): string[] {
  const found = sections(bytes)
  const ids = found.map((x) => x.id)
  const problems: string[] = []
  if (ids.includes(11)) problems.push('it has a data segment')
  if (ids.includes(8)) problems.push('it has a start function')
  if (ids.includes(5)) problems.push('it defines a memory instead of importing one')
  const imports = importsOf(bytes, found.find((x) => x.id === 2)?.start)
  if (imports.length === 0) problems.push('it imports nothing, where it must import env.memory')
  else if (imports.length !== 1 || imports[0].kind !== 'memory' || imports[0].name !== 'env.memory') {
    problems.push(`it imports ${imports.map((x) => `${x.name} (${x.kind})`).join(', ')}; only env.memory is provided`)
  }
  return problems
}
