// Number formatting for the page: learning rates, durations, counts.

/** 0.05 → "0.05", 0.00125 → "1.25e-3", 0 → "0". */
export function fmtLr(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1e-3 && a < 1e4) return String(Number(v.toPrecision(3)))
  const [m, e] = v.toExponential(2).split('e')
  return `${Number(m)}e${Number(e)}`
}

/** 1234567 → "1,234,567". */
export const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US')

/** Milliseconds → "850 ms", "12.3 s", "4 min 05 s", "1 h 02 min". */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const total = Math.round(s)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const sec = total % 60
  return h ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(sec).padStart(2, '0')} s`
}

/** Fractional epochs → "1.25". */
export const fmtEpoch = (e: number) => (Number.isInteger(e) ? String(e) : e.toFixed(2))
