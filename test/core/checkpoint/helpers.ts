// Shared by the checkpoint tests: paths to the real pretrained files, a runner for the PyTorch
// oracle (/usr/bin/python3 with torch), and exact comparisons of state dicts.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { CheckpointError } from '../../../src/core/checkpoint/errors'
import type { HostTensor, StateDict } from '../../../src/core/tensors'

/** Offline mirror of the pretrained checkpoints (see shared/pretrained/README.md). */
export const PRETRAINED_DIR = process.env.ADVTUNE_PRETRAINED_DIR ?? resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../shared/pretrained')
export const ORIGINAL_DIR = join(PRETRAINED_DIR, 'original/akamaster_pytorch_resnet_cifar10')

export const readBytes = (path: string): Uint8Array => new Uint8Array(readFileSync(path))

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'advtune-ckpt-'))
}

/** Runs a Python snippet with the interpreter that has torch; returns its stdout. */
export function python(script: string, ...args: string[]): string {
  return execFileSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 })
}

/** Python helper code: `expected(t)` describes a tensor as the TS reader should see it (bytes in hex). */
export const PY_EXPECTED = `
import torch
def expected(t):
    t = t.detach()
    if t.is_floating_point():
        return {'dtype': 'F32', 'shape': list(t.shape), 'hex': t.to(torch.float32).contiguous().numpy().tobytes().hex()}
    return {'dtype': 'I64', 'shape': list(t.shape), 'hex': t.to(torch.int64).contiguous().numpy().tobytes().hex()}
`

export interface ExpectedTensor {
  dtype: 'F32' | 'I64'
  shape: number[]
  hex: string
}

export function hexOf(t: HostTensor): string {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex')
}

/** Same names (in any order), dtypes, shapes and bit-identical data. */
export function expectSameTensors(actual: StateDict, expected: StateDict): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort())
  for (const [name, want] of expected) {
    const got = actual.get(name)!
    expect({ name, dtype: got.dtype, shape: got.shape }).toEqual({ name, dtype: want.dtype, shape: want.shape })
    expect(hexOf(got) === hexOf(want), `data of ${name}`).toBe(true)
  }
}

export function expectMatchesPython(actual: StateDict, expected: Record<string, ExpectedTensor>): void {
  expect([...actual.keys()].sort()).toEqual(Object.keys(expected).sort())
  for (const [name, want] of Object.entries(expected)) {
    const got = actual.get(name)!
    expect({ name, dtype: got.dtype, shape: got.shape, hex: hexOf(got) }).toEqual({ name, ...want })
  }
}

/** The error `fn` throws; fails the test unless it is a CheckpointError. */
export function checkpointError(fn: () => unknown): CheckpointError {
  try {
    fn()
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(CheckpointError)
    return e as CheckpointError
  }
  throw new Error('expected a CheckpointError, nothing was thrown')
}

/**
 * Python building `obj`, a training-style checkpoint around a small state dict with the awkward
 * cases (parameters, int64 buffers, views sharing a storage at an offset, strided, transposed and
 * broadcast tensors, every float dtype, scalars, empty tensors, the DataParallel prefix), and
 * `want`, what the reader must return for it (prefix stripped).
 */
export const PY_SMALL_CHECKPOINT = `${PY_EXPECTED}
import collections
g = torch.Generator().manual_seed(0)
bn = torch.nn.BatchNorm2d(4)
bn(torch.randn(8, 4, 3, 3, generator=g))  # one training step: num_batches_tracked becomes 1
conv = torch.nn.Conv2d(4, 2, 3)
base = torch.randn(20, generator=g)
sd = collections.OrderedDict()
sd['conv.weight'] = conv.weight  # an nn.Parameter: saved through _rebuild_parameter
sd['conv.bias'] = conv.bias
for k, v in bn.state_dict().items(): sd['bn.' + k] = v
sd['view.head'] = base[:5]
sd['view.tail'] = base[12:].view(2, 4)  # same storage as view.head, offset 12
sd['view.strided'] = base[1::3]
sd['transposed'] = torch.randn(3, 4, generator=g).t()
sd['broadcast'] = torch.randn(3, 1, generator=g).expand(3, 4)
sd['f64'] = torch.randn(2, 3, dtype=torch.float64, generator=g)
sd['f16'] = torch.randn(5, generator=g).half()
sd['bf16'] = torch.randn(5, generator=g).bfloat16()
sd['i32'] = torch.tensor([-3, 4], dtype=torch.int32)
sd['u8'] = torch.tensor([0, 200], dtype=torch.uint8)
sd['scalar'] = torch.tensor(2.5)
sd['empty'] = torch.zeros(0, 3)
assert sd['view.tail'].storage_offset() == 12 and not sd['transposed'].is_contiguous()
assert sd['bn.num_batches_tracked'].dtype == torch.int64 and int(sd['bn.num_batches_tracked']) == 1
obj = {'epoch': 3, 'model_state_dict': collections.OrderedDict(('module.' + k, v) for k, v in sd.items()),
       'optimizer': {'state': {}, 'param_groups': [{'lr': 0.1, 'params': [0, 1]}]}}
want = {k: expected(v) for k, v in sd.items()}
`
