// CIFAR-10 in the official binary layout (record = label byte, then 1024 R, 1024 G, 1024 B
// bytes) turned into labels + interleaved HWC images. No tfjs here.

export const IMAGE_BYTES = 32 * 32 * 3
const RECORD = 1 + IMAGE_BYTES

export interface CifarSet {
  n: number
  labels: Uint8Array // [n] in 0..9
  images: Uint8Array // [n, 32, 32, 3] row-major, RGB bytes
}

export function parseCifarBin(bytes: Uint8Array): CifarSet {
  if (bytes.length === 0 || bytes.length % RECORD) throw new Error(`not a CIFAR-10 binary file: ${bytes.length} bytes is not a multiple of ${RECORD}`)
  const n = bytes.length / RECORD
  const labels = new Uint8Array(n)
  const images = new Uint8Array(n * IMAGE_BYTES)
  for (let i = 0; i < n; i++) {
    const r = i * RECORD
    const label = bytes[r]
    if (label > 9) throw new Error(`not a CIFAR-10 binary file: record ${i} has label ${label}`)
    labels[i] = label
    const out = i * IMAGE_BYTES
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) images[out + p * 3 + c] = bytes[r + 1 + c * 1024 + p] // planar → HWC
  }
  return { n, labels, images }
}

export function concatSets(sets: CifarSet[]): CifarSet {
  const n = sets.reduce((a, s) => a + s.n, 0)
  const labels = new Uint8Array(n)
  const images = new Uint8Array(n * IMAGE_BYTES)
  let at = 0
  for (const s of sets) {
    labels.set(s.labels, at)
    images.set(s.images, at * IMAGE_BYTES)
    at += s.n
  }
  return { n, labels, images }
}

/** The first `count` images (views, no copy). */
export function head(set: CifarSet, count: number): CifarSet {
  const n = Math.min(count, set.n)
  return { n, labels: set.labels.subarray(0, n), images: set.images.subarray(0, n * IMAGE_BYTES) }
}

export const TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin']
export const TEST_FILE = 'test_batch.bin'
export const IMAGES_PER_FILE = 10_000

/** Training files needed to hold the first `trainSize` training images. */
export const trainFilesFor = (trainSize: number) => TRAIN_FILES.slice(0, Math.ceil(trainSize / IMAGES_PER_FILE))
