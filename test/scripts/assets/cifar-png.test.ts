// Sprite-sheet decoding and the conversion to official CIFAR-10 records, on small synthetic
// sheets whose every byte is known, plus refusal of truncated or mis-shaped PNGs.

import { encode } from 'fast-png'
import { describe, expect, it } from 'vitest'
import { decodeSpriteSheet, parseLabels, spriteToCifarBin } from '../../../scripts/assets/cifar-png'
import { CIFAR_RECORD_BYTES } from '../../../scripts/assets/known'

const ROWS = 3
// Pixel (image k, position p, channel c) gets a value that differs for every k, p and c.
const value = (k: number, p: number, c: number) => (k * 97 + p * 3 + c * 85) & 255

function sheet(rows = ROWS, channels = 3): Uint8Array {
  const data = new Uint8Array(rows * 1024 * channels)
  for (let k = 0; k < rows; k++) for (let p = 0; p < 1024; p++) for (let c = 0; c < channels; c++) data[(k * 1024 + p) * channels + c] = value(k, p, c)
  return encode({ width: 1024, height: rows, data, channels, depth: 8 })
}

describe('decodeSpriteSheet + spriteToCifarBin', () => {
  it('puts the label first, then the R, G and B planes of each image in pixel order', () => {
    const rgb = decodeSpriteSheet(sheet(), 'tiny.png', ROWS)
    const labels = Uint8Array.of(3, 0, 9)
    const bin = spriteToCifarBin(rgb, labels)
    expect(bin.length).toBe(ROWS * CIFAR_RECORD_BYTES)
    for (let k = 0; k < ROWS; k++) {
      const rec = bin.subarray(k * CIFAR_RECORD_BYTES, (k + 1) * CIFAR_RECORD_BYTES)
      expect(rec[0]).toBe(labels[k])
      for (const p of [0, 1, 31, 32, 500, 1023])
        // y*32+x positions, first/last row and column included
        for (let c = 0; c < 3; c++) expect(rec[1 + c * 1024 + p], `image ${k} pos ${p} ch ${c}`).toBe(value(k, p, c))
    }
  })

  it('refuses a truncated PNG, naming it', () => {
    const png = sheet()
    for (const cut of [png.length - 12, png.length >> 1, 40])
      expect(() => decodeSpriteSheet(png.subarray(0, cut), 'data_batch_1.png', ROWS)).toThrow(/data_batch_1\.png is not a readable PNG .*truncated or damaged/)
  })

  it('refuses a sheet of the wrong shape or colour type', () => {
    expect(() => decodeSpriteSheet(sheet(2), 'short.png', ROWS)).toThrow(/1024x2 PNG .* expected 1024x3 RGB/)
    expect(() => decodeSpriteSheet(sheet(ROWS, 4), 'rgba.png', ROWS)).toThrow(/4 channels/)
  })

  it('refuses RGB data and labels of different lengths', () => {
    expect(() => spriteToCifarBin(new Uint8Array(1024 * 3 * 2), Uint8Array.of(1))).toThrow(/do not hold 1 images/)
  })
})

describe('parseLabels', () => {
  const json = (v: unknown) => Buffer.from(JSON.stringify(v))

  it('reads a list of classes', () => {
    expect([...parseLabels(json([0, 9, 4]), 'l.json', 3)]).toEqual([0, 9, 4])
  })

  it('refuses a wrong count, a non-class value and cut-off JSON', () => {
    expect(() => parseLabels(json([0, 1]), 'l.json', 3)).toThrow(/should list 3 labels, found 2/)
    expect(() => parseLabels(json([0, 10, 1]), 'l.json', 3)).toThrow(/label 1 is 10/)
    expect(() => parseLabels(json([0, 1, 2]).subarray(0, 4), 'l.json', 3)).toThrow(/l\.json is not valid JSON.*truncated/)
  })
})
