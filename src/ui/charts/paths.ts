// Pure geometry of the live line charts: linear scales, one SVG path string per series (linear
// with gaps, or step-before for the LR), the y extent of the data, and the x nearest the pointer.

export interface Pt {
  x: number
  y: number | null
}

export type Scale = (v: number) => number

/** Maps [d0, d1] onto [r0, r1]; a zero-width domain maps everything to r0. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): Scale {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0)
  return (v) => r0 + (v - d0) * k
}

// A tenth of a pixel is below what a 1.6 px stroke shows, and keeps 400-point paths short.
const px = (v: number) => String(Math.round(v * 10) / 10)
const missing = (y: number | null): y is null => y === null || !Number.isFinite(y)

/** Straight segments between consecutive points; a missing y ends the segment (a gap). */
export function linePath(points: readonly Pt[], sx: Scale, sy: Scale): string {
  let d = ''
  let pen = false
  for (const p of points) {
    if (missing(p.y)) {
      pen = false
      continue
    }
    d += `${pen ? 'L' : 'M'}${px(sx(p.x))},${px(sy(p.y))}`
    pen = true
  }
  return d
}

/**
 * Step-before through the points that have a y (missing ones are bridged): each value is held
 * over the span that ends at its x, which is how a step's LR applies over (s − 1, s].
 */
export function stepBeforePath(points: readonly Pt[], sx: Scale, sy: Scale): string {
  let d = ''
  let last = ''
  for (const p of points) {
    if (missing(p.y)) continue
    const x = px(sx(p.x))
    const y = px(sy(p.y))
    d += !d ? `M${x},${y}` : y === last ? `H${x}` : `V${y}H${x}`
    last = y
  }
  return d
}

/** Smallest and largest finite y over all series; [NaN, NaN] without any. */
export function yExtent(series: readonly { points: readonly Pt[] }[]): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (const s of series)
    for (const p of s.points)
      if (!missing(p.y)) {
        if (p.y < lo) lo = p.y
        if (p.y > hi) hi = p.y
      }
  return lo <= hi ? [lo, hi] : [NaN, NaN]
}

/** Index of the value in ascending `xs` nearest to `x` (the earlier one on a tie); -1 if empty. */
export function nearestIndex(xs: readonly number[], x: number): number {
  if (!xs.length) return -1
  let lo = 0
  let hi = xs.length - 1
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if (xs[mid] <= x) lo = mid
    else hi = mid
  }
  return Math.abs(xs[hi] - x) < Math.abs(x - xs[lo]) ? hi : lo
}
