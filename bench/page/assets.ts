// The bench page's inputs, fetched like the app fetches them: the real ResNet-20 checkpoint and the
// first images of the CIFAR-10 test set (only the records needed, not the whole 30 MB file).

import { readCheckpoint } from '../../src/core/checkpoint'
import { parseCifarBin, IMAGE_BYTES, type CifarSet } from '../../src/core/data/cifar'
import type { StateDict } from '../../src/core/tensors'

export const WEIGHTS_FILE = 'resnet20-12fca82f.th'

async function fetchBytes(path: string, range?: number): Promise<Uint8Array> {
  const res = await fetch(path, range ? { headers: { Range: `bytes=0-${range - 1}` } } : undefined)
  if (!res.ok) throw new Error(`could not load ${path} (HTTP ${res.status}); run 'npm run setup' first`)
  const bytes = new Uint8Array(await res.arrayBuffer())
  return range ? bytes.subarray(0, range) : bytes // a server that ignores Range sends it all
}

export const loadWeights = async (): Promise<StateDict> => readCheckpoint(await fetchBytes(`/weights/${WEIGHTS_FILE}`), WEIGHTS_FILE)

export async function loadTestImages(n: number): Promise<CifarSet> {
  const set = parseCifarBin(await fetchBytes('/data/cifar10/test_batch.bin', n * (IMAGE_BYTES + 1)))
  if (set.n < n) throw new Error(`the test set file holds only ${set.n} images`)
  return set
}
