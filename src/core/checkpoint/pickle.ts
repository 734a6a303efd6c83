// A safe reader for Python pickles (protocols 2–5, the opcodes torch.save emits). It builds plain
// JS values and never runs code: a Python global resolves only if the caller's whitelist names it.

import { copyBytes } from './dtypes'
import { CheckpointError, truncated } from './errors'

/** A Python tuple (kept apart from lists because torch's persistent ids and rebuild args are tuples). */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/** A whitelisted Python callable; REDUCE / NEWOBJ call `call` with the argument tuple's items. */
export class PyCallable {
  constructor(
    readonly name: string,
    readonly call: (args: unknown[]) => unknown,
  ) {}
}

// Values: None → null, bool → boolean, int → number (bigint beyond ±(2^53 − 1)), float → number,
// str → string, bytes → Uint8Array, list → Array, tuple → PyTuple, dict → Map.

export interface UnpickleOptions {
  /** 'module.name' → the value GLOBAL / STACK_GLOBAL pushes; any other global is refused. */
  globals: ReadonlyMap<string, unknown>
  /** Resolves BINPERSID ids (torch's storage references); absent → persistent ids are refused. */
  persistentLoad?: (pid: unknown) => unknown
  /** Names this pickle in error messages, e.g. 'data.pkl'. */
  what: string
}

export interface Unpickled {
  value: unknown
  /** Offset just past the STOP opcode: torch's legacy format puts more data there. */
  end: number
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
const latin1 = new TextDecoder('latin1')

// Pickles name a global by the module that defines it, which for much of the standard library is a
// private or platform module: os.system is pickled as posix.system (nt.system on Windows).
const PUBLIC_MODULE: Readonly<Record<string, string>> = {
  posix: 'os',
  nt: 'os',
  posixpath: 'os.path',
  ntpath: 'os.path',
  __builtin__: 'builtins',
  _io: 'io',
  _codecs: 'codecs',
  _operator: 'operator',
  _functools: 'functools',
  _collections: 'collections',
  _pickle: 'pickle',
}

/** A global as people write it, with the pickled name beside it when they differ: 'os.system (posix.system)'. */
export function pythonName(module: string, name: string): string {
  const pickled = `${module}.${name}`
  const known = Object.hasOwn(PUBLIC_MODULE, module) ? `${PUBLIC_MODULE[module]}.${name}` : pickled
  return known === pickled ? pickled : `${known} (${pickled})`
}

export function refusedGlobal(module: string, name: string): CheckpointError {
  // a whole pickled nn.Module is the common case, and saving its state_dict() is the fix
  const hint = module.startsWith('torch.nn.') ? ' (it holds a whole pickled model: save model.state_dict() instead)' : ''
  return new CheckpointError(`refused to load: the checkpoint references the Python global ${pythonName(module, name)}; only tensors and dictionaries are allowed${hint}`)
}

/** Reads one pickle starting at `start`; stops at its STOP opcode. */
export function unpickle(bytes: Uint8Array, start: number, opts: UnpickleOptions): Unpickled {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let pos = start
  let opPos = start
  const stack: unknown[] = []
  const marks: number[] = []
  const memo = new Map<number, unknown>()

  const corrupt = (why: string) => new CheckpointError(`the checkpoint is corrupt: ${opts.what} ${why} (byte ${opPos})`)
  const need = (n: number) => {
    if (n > bytes.length - pos) throw truncated(`${opts.what} ends unexpectedly at byte ${bytes.length} (needs ${n} more bytes at ${pos})`)
  }
  const take = (n: number) => {
    need(n)
    pos += n
    return bytes.subarray(pos - n, pos)
  }
  const u8 = () => (need(1), bytes[pos++])
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true))
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true))
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true))
  const u64 = () => {
    need(8)
    const v = view.getBigUint64(pos, true)
    pos += 8
    // anything this long cannot fit in the file; report it as a truncation rather than overflow
    if (v > BigInt(bytes.length)) throw truncated(`${opts.what} declares a ${v}-byte item at byte ${opPos}`)
    return Number(v)
  }
  const line = () => {
    const end = bytes.indexOf(0x0a, pos)
    if (end < 0) throw truncated(`${opts.what} ends unexpectedly inside a text line at byte ${pos}`)
    const s = latin1.decode(bytes.subarray(pos, end))
    pos = end + 1
    return s
  }
  const text = (b: Uint8Array) => {
    try {
      return utf8.decode(b)
    } catch {
      throw corrupt('holds a string that is not valid UTF-8')
    }
  }
  // the part of the stack above the innermost MARK is all an opcode may touch
  const floor = () => (marks.length ? marks[marks.length - 1] : 0)
  const pop = () => {
    if (stack.length <= floor()) throw corrupt('pops an empty stack')
    return stack.pop()
  }
  const top = () => {
    if (stack.length <= floor()) throw corrupt('reads an empty stack')
    return stack[stack.length - 1]
  }
  const popMark = () => {
    const m = marks.pop()
    if (m === undefined) throw corrupt('has no MARK to pop')
    return stack.splice(m)
  }
  const resolve = (module: string, name: string) => {
    const full = `${module}.${name}`
    if (!opts.globals.has(full)) throw refusedGlobal(module, name)
    return opts.globals.get(full)
  }
  const callWith = (fn: unknown, args: unknown) => {
    if (!(fn instanceof PyCallable)) throw corrupt(`calls ${describe(fn)}, which is not a callable`)
    if (!(args instanceof PyTuple)) throw corrupt(`calls ${fn.name} with ${describe(args)} instead of an argument tuple`)
    return fn.call(args.items)
  }
  const setItems = (target: unknown, kv: unknown[]) => {
    if (!(target instanceof Map)) throw corrupt(`sets items on ${describe(target)}`)
    if (kv.length % 2) throw corrupt('sets an odd number of items')
    for (let i = 0; i < kv.length; i += 2) target.set(kv[i], kv[i + 1])
  }
  const append = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target)) throw corrupt(`appends to ${describe(target)}`)
    for (const item of items) target.push(item) // no spread: a crafted list could overflow the argument limit
  }

  for (;;) {
    opPos = pos
    const op = u8()
    switch (op) {
      case 0x80: {
        // PROTO
        const p = u8()
        if (p > 5) throw new CheckpointError(`${opts.what} uses pickle protocol ${p}; only protocols up to 5 are supported`)
        break
      }
      case 0x95:
        take(8)
        break // FRAME: a framing hint only; the frame's opcodes follow inline
      case 0x2e: {
        // STOP
        if (stack.length !== 1 || marks.length) throw corrupt('stops with a malformed stack')
        return { value: stack[0], end: pos }
      }
      case 0x28:
        marks.push(stack.length)
        break // MARK: remembers where the marked run of items starts
      case 0x30:
        pop()
        break // POP
      case 0x31:
        popMark()
        break // POP_MARK
      case 0x32:
        stack.push(top())
        break // DUP
      case 0x7d:
        stack.push(new Map())
        break // EMPTY_DICT
      case 0x5d:
        stack.push([])
        break // EMPTY_LIST
      case 0x29:
        stack.push(new PyTuple([]))
        break // EMPTY_TUPLE
      case 0x64: {
        const m = new Map()
        setItems(m, popMark())
        stack.push(m)
        break
      } // DICT
      case 0x6c:
        stack.push(popMark())
        break // LIST
      case 0x74:
        stack.push(new PyTuple(popMark()))
        break // TUPLE
      case 0x85:
        stack.push(new PyTuple([pop()]))
        break // TUPLE1
      case 0x86: {
        const b = pop(),
          a = pop()
        stack.push(new PyTuple([a, b]))
        break
      } // TUPLE2
      case 0x87: {
        const c = pop(),
          b = pop(),
          a = pop()
        stack.push(new PyTuple([a, b, c]))
        break
      } // TUPLE3
      case 0x73: {
        const v = pop(),
          k = pop()
        setItems(top(), [k, v])
        break
      } // SETITEM
      case 0x75: {
        const kv = popMark()
        setItems(top(), kv)
        break
      } // SETITEMS
      case 0x61: {
        const v = pop()
        append(top(), [v])
        break
      } // APPEND
      case 0x65: {
        const items = popMark()
        append(top(), items)
        break
      } // APPENDS
      case 0x4a:
        stack.push(i32())
        break // BININT
      case 0x4b:
        stack.push(u8())
        break // BININT1
      case 0x4d:
        stack.push(u16())
        break // BININT2
      case 0x8a:
        stack.push(decodeLong(take(u8())))
        break // LONG1
      case 0x8b: {
        // LONG4
        const n = i32()
        if (n < 0 || n > 4096) throw corrupt(`holds a ${n}-byte integer`)
        stack.push(decodeLong(take(n)))
        break
      }
      case 0x47:
        need(8)
        stack.push(view.getFloat64(pos, false))
        pos += 8
        break // BINFLOAT (big-endian)
      case 0x88:
        stack.push(true)
        break // NEWTRUE
      case 0x89:
        stack.push(false)
        break // NEWFALSE
      case 0x4e:
        stack.push(null)
        break // NONE
      case 0x58:
        stack.push(text(take(u32())))
        break // BINUNICODE
      case 0x8c:
        stack.push(text(take(u8())))
        break // SHORT_BINUNICODE
      case 0x8d:
        stack.push(text(take(u64())))
        break // BINUNICODE8
      // Python 2 str: torch loads old checkpoints with encoding='latin1', so do the same
      case 0x54: {
        const n = i32()
        if (n < 0) throw corrupt('has a negative string length')
        stack.push(latin1.decode(take(n)))
        break
      } // BINSTRING
      case 0x55:
        stack.push(latin1.decode(take(u8())))
        break // SHORT_BINSTRING
      case 0x42:
        stack.push(copyBytes(take(u32())))
        break // BINBYTES
      case 0x43:
        stack.push(copyBytes(take(u8())))
        break // SHORT_BINBYTES
      case 0x8e:
      case 0x96:
        stack.push(copyBytes(take(u64())))
        break // BINBYTES8, BYTEARRAY8
      case 0x71:
        memo.set(u8(), top())
        break // BINPUT
      case 0x72:
        memo.set(u32(), top())
        break // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top())
        break // MEMOIZE
      case 0x68:
      case 0x6a: {
        // BINGET, LONG_BINGET
        const k = op === 0x68 ? u8() : u32()
        if (!memo.has(k)) throw corrupt(`refers to memo entry ${k}, which was never stored`)
        stack.push(memo.get(k))
        break
      }
      case 0x63: {
        const module = line(),
          name = line()
        stack.push(resolve(module, name))
        break
      } // GLOBAL
      case 0x93: {
        // STACK_GLOBAL
        const name = pop(),
          module = pop()
        if (typeof module !== 'string' || typeof name !== 'string') throw corrupt('names a global with non-string parts')
        stack.push(resolve(module, name))
        break
      }
      case 0x52: {
        const args = pop(),
          fn = pop()
        stack.push(callWith(fn, args))
        break
      } // REDUCE
      case 0x81: {
        const args = pop(),
          cls = pop()
        stack.push(callWith(cls, args))
        break
      } // NEWOBJ
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop(),
          args = pop(),
          cls = pop()
        if (!(kwargs instanceof Map) || kwargs.size) throw corrupt('passes keyword arguments to a constructor')
        stack.push(callWith(cls, args))
        break
      }
      case 0x62: {
        // BUILD
        const state = pop(),
          obj = top()
        // Instance attributes (e.g. a state_dict's `_metadata` version table) carry no weights.
        if (!(obj instanceof Map) && !isTorchObject(obj)) throw corrupt(`sets the state of ${describe(obj)}`)
        void state
        break
      }
      case 0x51: {
        // BINPERSID
        const pid = pop()
        if (!opts.persistentLoad) throw corrupt('holds a persistent reference where none is allowed')
        stack.push(opts.persistentLoad(pid))
        break
      }
      default:
        throw new CheckpointError(`the checkpoint is corrupt or unsupported: ${opts.what} has the unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${opPos}`)
    }
  }
}

/** Two's-complement little-endian integer; a number when it is a safe integer, else a bigint. */
function decodeLong(b: Uint8Array): number | bigint {
  let v = 0n
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i])
  if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length)
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
}

/** Objects from torch's rebuild functions mark themselves so BUILD may update them. */
export const TORCH_OBJECT = Symbol('torchObject')
function isTorchObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && TORCH_OBJECT in v
}

/** Python-flavoured name of a value, for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'None'
  if (v instanceof Map) return 'a dict'
  if (Array.isArray(v)) return 'a list'
  if (v instanceof PyTuple) return 'a tuple'
  if (v instanceof PyCallable) return `the global ${v.name}`
  if (v instanceof Uint8Array) return 'bytes'
  if (typeof v === 'string') return 'a str'
  if (typeof v === 'number' || typeof v === 'bigint') return 'a number'
  if (typeof v === 'boolean') return 'a bool'
  return 'an object'
}
