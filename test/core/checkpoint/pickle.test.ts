// The safe unpickler against pickles written by CPython itself (protocols 2–5), hand-built opcode
// sequences for what CPython no longer emits, and hostile or damaged input.

import { beforeAll, describe, expect, it } from 'vitest'
import { PyCallable, PyTuple, unpickle } from '../../../src/core/checkpoint/pickle'
import { checkpointError, python } from './helpers'

const NONE: ReadonlyMap<string, unknown> = new Map()
const load = (b: Uint8Array, globals = NONE) => unpickle(b, 0, { globals, what: 'the test pickle' }).value
const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'))
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'))

// Written by CPython: plain containers and scalars, then objects whose reduction names a dangerous global.
const SCRIPT = `
import pickle, json, os, collections
shared = [7, 8]
def value(p):
    v = {'ints': [0, 1, -5, 255, 256, 65535, 65536, -70000, 2**31 - 1, -2**31, 2**31, 2**53 - 1, 2**53, 2**70, -2**70],
         'floats': [2.5, -0.0, 1e300, float('inf')], 'consts': [None, True, False],
         'strs': ['x', 'h\\u00e9llo \\u2603', 'y' * 300], 'tuples': [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
         'od': collections.OrderedDict([('k', 1), ('j', 2)]), 'shared': [shared, shared], 'nested': {1: {'a': []}}}
    if p >= 3: v['bytes'] = [b'yz', b'\\x00' * 300]
    return v
class Evil:
    def __reduce__(self): return (os.system, ('echo pwned',))
out = {str(p): pickle.dumps(value(p), protocol=p).hex() for p in (2, 3, 4, 5)}
out['evil2'] = pickle.dumps({'w': Evil()}, protocol=2).hex()
out['evil4'] = pickle.dumps([Evil()], protocol=4).hex()
out['eval4'] = pickle.dumps(eval, protocol=4).hex()
print(json.dumps(out))
`

function expectedValue(protocol: number): Map<unknown, unknown> {
  const shared = [7, 8]
  const v = new Map<unknown, unknown>([
    ['ints', [0, 1, -5, 255, 256, 65535, 65536, -70000, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53 - 1, 2n ** 53n, 2n ** 70n, -(2n ** 70n)]],
    ['floats', [2.5, -0, 1e300, Infinity]],
    ['consts', [null, true, false]],
    ['strs', ['x', 'h\u00e9llo \u2603', 'y'.repeat(300)]],
    ['tuples', [new PyTuple([]), new PyTuple([1]), new PyTuple([1, 2]), new PyTuple([1, 2, 3]), new PyTuple([1, 2, 3, 4])]],
    [
      'od',
      new Map([
        ['k', 1],
        ['j', 2],
      ]),
    ],
    ['shared', [shared, shared]],
    ['nested', new Map([[1, new Map([['a', []]])]])],
  ])
  if (protocol >= 3) v.set('bytes', [new Uint8Array([0x79, 0x7a]), new Uint8Array(300)])
  return v
}

describe('unpickle', () => {
  let py: Record<string, string>
  const od = new Map([['collections.OrderedDict', new PyCallable('collections.OrderedDict', () => new Map())]])
  beforeAll(() => {
    py = JSON.parse(python(SCRIPT))
  })

  it.each([2, 3, 4, 5])('reads what CPython writes with protocol %i', (p) => {
    const value = load(hex(py[p]), od) as Map<string, unknown[]>
    expect(value).toStrictEqual(expectedValue(p))
    // the memo makes a twice-pickled list one object, as in Python
    const shared = value.get('shared')!
    expect(shared[0]).toBe(shared[1])
  })

  it('reads Python 2 strings and 8-byte-length strings, which CPython 3 no longer writes for small data', () => {
    expect(load(ascii('\x80\x02U\x03abc.'))).toBe('abc') // SHORT_BINSTRING
    expect(load(ascii('\x80\x02T\x02\x00\x00\x00\xe9z.'))).toBe('\u00e9z') // BINSTRING, latin-1 as torch.load does
    expect(load(ascii('\x80\x04\x8d\x02\x00\x00\x00\x00\x00\x00\x00hi.'))).toBe('hi') // BINUNICODE8
    expect(load(ascii('\x80\x04\x8e\x01\x00\x00\x00\x00\x00\x00\x00\x05.'))).toStrictEqual(new Uint8Array([5])) // BINBYTES8
  })

  it('appends a million items at once (no argument-spread limit)', () => {
    const n = 1_000_000
    const bytes = new Uint8Array(n + 6).fill(0x4e) // NONE
    bytes.set([0x80, 0x02, 0x5d, 0x28]) // PROTO 2, EMPTY_LIST, MARK
    bytes.set([0x65, 0x2e], n + 4) // APPENDS, STOP
    const list = load(bytes) as unknown[]
    expect(list.length).toBe(n)
    expect(list.every((v) => v === null)).toBe(true)
  })

  it('returns where the pickle ends, so several pickles can follow each other', () => {
    const two = ascii('\x80\x02K\x07.\x80\x02K\x08.')
    const first = unpickle(two, 0, { globals: NONE, what: 'first' })
    expect(first).toEqual({ value: 7, end: 5 })
    expect(unpickle(two, first.end, { globals: NONE, what: 'second' })).toEqual({ value: 8, end: 10 })
  })

  it('refuses every global that is not whitelisted, naming it as Python code writes it', () => {
    const refused = (b: Uint8Array) => checkpointError(() => load(b, od)).message
    // CPython pickles os.system as posix.system: the message gives both names
    expect(refused(hex(py.evil2))).toBe('refused to load: the checkpoint references the Python global os.system (posix.system); only tensors and dictionaries are allowed')
    expect(refused(hex(py.evil4))).toMatch(/^refused to load: .* os\.system \(posix\.system\);/)
    expect(refused(hex(py.eval4))).toMatch(/^refused to load: .* builtins\.eval;/)
    // hand-built: GLOBAL 'os system', then REDUCE with ('ls',); and Windows' nt.system
    expect(refused(ascii('\x80\x02cos\nsystem\nX\x02\x00\x00\x00ls\x85R.'))).toBe('refused to load: the checkpoint references the Python global os.system; only tensors and dictionaries are allowed')
    expect(refused(ascii('\x80\x02cnt\nsystem\nX\x02\x00\x00\x00ls\x85R.'))).toMatch(/ os\.system \(nt\.system\);/)
    expect(refused(ascii('\x80\x02c__builtin__\neval\n.'))).toMatch(/ builtins\.eval \(__builtin__\.eval\);/)
  })

  it('reports a pickle cut at any byte as truncated', () => {
    const full = hex(py[2])
    for (let cut = 0; cut < full.length; cut++) {
      expect(checkpointError(() => load(full.subarray(0, cut), od)).message, `cut at ${cut}`).toMatch(/^the checkpoint is truncated or corrupt: the test pickle ends unexpectedly/)
    }
  })

  it('rejects malformed opcode sequences with specific messages', () => {
    const msg = (s: string) => checkpointError(() => load(ascii(s))).message
    expect(msg('\x80\x06N.')).toMatch(/pickle protocol 6; only protocols up to 5/)
    expect(msg('\x80\x02(i__main__\nX\n.')).toMatch(/unsupported pickle opcode 0x69 at byte 3/) // INST (protocol 0)
    expect(msg('\x80\x02h\x05.')).toMatch(/memo entry 5, which was never stored/)
    expect(msg('\x80\x02N\x85N\x85R.')).toMatch(/calls a tuple, which is not a callable/)
    expect(msg('\x80\x02s.')).toMatch(/pops an empty stack/)
    expect(msg('\x80\x02(K\x01u.')).toMatch(/reads an empty stack/) // SETITEMS with no dict below the MARK
    expect(msg('\x80\x02K\x01K\x02.')).toMatch(/stops with a malformed stack/)
    expect(msg('\x80\x02X\x02\x00\x00\x00\xff\xfe.')).toMatch(/not valid UTF-8/)
    expect(msg('\x80\x02N\x85Q.')).toMatch(/persistent reference where none is allowed/)
  })
})
