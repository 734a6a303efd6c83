// Pixels of the adversarial previews: 32×32 RGB bytes (HWC) → RGBA for a canvas, and the
// perturbation amplified so that ±eps spans the full range around mid-grey.

export const SIDE = 32

export function rgbToRgba(rgb: Uint8Array): Uint8ClampedArray<ArrayBuffer> {
  const n = rgb.length / 3
  const out = new Uint8ClampedArray(n * 4)
  for (let p = 0; p < n; p++) {
    out[p * 4] = rgb[p * 3]
    out[p * 4 + 1] = rgb[p * 3 + 1]
    out[p * 4 + 2] = rgb[p * 3 + 2]
    out[p * 4 + 3] = 255
  }
  return out
}

/** (adv − clean) scaled by 127/eps255 around grey 128: +eps → 255, −eps → 1, none → 128. */
export function perturbationRgba(clean: Uint8Array, adv: Uint8Array, eps255: number): Uint8ClampedArray<ArrayBuffer> {
  const gain = eps255 > 0 ? 127 / eps255 : 0
  const diff = new Uint8Array(clean.length)
  for (let i = 0; i < clean.length; i++) diff[i] = Math.max(0, Math.min(255, Math.round(128 + (adv[i] - clean[i]) * gain)))
  return rgbToRgba(diff)
}

/** Largest |adv − clean| over all bytes, in 1/255 units (what the L∞ ball bounds). */
export function linfDistance(clean: Uint8Array, adv: Uint8Array): number {
  let m = 0
  for (let i = 0; i < clean.length; i++) m = Math.max(m, Math.abs(adv[i] - clean[i]))
  return m
}
