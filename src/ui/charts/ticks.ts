// Axis ticks for the hand-drawn live charts and the accuracy chart's x axis: computed here once
// per data change, so recharts never runs its decimal.js nice-tick search on a re-render.

const MANTISSAS = [1, 2, 5]

/** Rounds away float noise (3 × 2e-5 = 6.000000000000001e-5) so labels and keys are clean. */
const clean = (v: number) => Number(v.toPrecision(12))

/**
 * At most `maxCount` evenly spaced ticks, 1, 2 or 5 × 10^k apart, the first at or below `min` and
 * the last at or above `max` (so [first, last] is a padded domain that contains the data), using
 * the finest such spacing, never finer than `minStep`. A flat range gets a band around its value
 * ([0, 1] at 0); a non-finite bound is replaced by the other one; with no finite bound, [0, 1].
 */
export function niceTicks(min: number, max: number, maxCount: number, minStep = 0): number[] {
  if (!Number.isFinite(min)) min = Number.isFinite(max) ? max : 0
  if (!Number.isFinite(max)) max = min
  if (min > max) [min, max] = [max, min]
  if (min === max) {
    if (min === 0) max = 1
    else [min, max] = [min - Math.abs(min) / 10, max + Math.abs(max) / 10]
  }
  const count = Math.max(2, Math.floor(maxCount))
  const raw = Math.max((max - min) / (count - 1), minStep)
  if (!Number.isFinite(raw)) return [min, max]
  // Smallest nice step ≥ raw first; a range straddling step multiples may need the next one or two.
  const e0 = Math.floor(Math.log10(raw))
  for (let e = e0; e <= e0 + 3; e++)
    for (const m of MANTISSAS) {
      const step = e < 0 ? m / 10 ** -e : m * 10 ** e // dividing keeps 1e-5-sized steps exact
      if (step < raw * (1 - 1e-9)) continue
      const lo = Math.floor(min / step + 1e-9)
      const hi = Math.ceil(max / step - 1e-9)
      if (hi - lo + 1 > count) continue
      const out: number[] = []
      for (let k = lo; k <= hi; k++) out.push(clean(e < 0 ? (k * m) / 10 ** -e : k * step))
      return out
    }
  return [min, max] // only when 2 ticks cannot span a range around a multiple of every step (e.g. [-1, 1])
}

/**
 * Ticks for a fixed axis [min, max] (the x domain [0, planned end]): the nice ticks inside it and
 * then `max` itself, so the axis shows where it ends (a run's planned length), as recharts' fixed
 * domains did. A nice tick within half a step of `max` gives way to it, so labels do not collide.
 */
export function domainTicks(min: number, max: number, maxCount: number, minStep = 0): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max) && max > min)) return Number.isFinite(min) ? [min] : []
  const nice = niceTicks(min, max, maxCount, minStep)
  const step = nice[1] - nice[0]
  return [...nice.filter((t) => t >= min - step * 1e-9 && t < max - step / 2), max]
}
