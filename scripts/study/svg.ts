// Small SVG charts for the study report, drawn from the runs' logs: lines (with an optional band of
// ± spread) and scatter points on linear axes with ticks, a title and a legend. No dependencies.

export interface Series {
  name: string
  color: string
  points: { x: number; y: number; lo?: number; hi?: number }[]
  dashed?: boolean
  markersOnly?: boolean
}

export interface ChartSpec {
  title: string
  xLabel: string
  yLabel: string
  series: Series[]
  xMin?: number
  yMin?: number
  yMax?: number
  width?: number
  height?: number
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22']

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** About five round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo]
  const raw = (hi - lo) / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  const out: number[] = []
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

const fmtTick = (v: number) => (Math.abs(v) >= 1e6 ? `${v / 1e6}M` : Math.abs(v) >= 1e3 ? `${v / 1e3}k` : String(v))

export function lineChart(c: ChartSpec): string {
  const W = c.width ?? 640
  const H = c.height ?? 380
  const m = { l: 56, r: 170, t: 34, b: 46 }
  const pts = c.series.flatMap((s) => s.points)
  const xs = pts.map((p) => p.x)
  const ys = pts.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y])
  const x0 = c.xMin ?? Math.min(0, ...xs)
  const x1 = Math.max(...xs, x0 + 1)
  const y0 = c.yMin ?? Math.min(0, ...ys)
  const y1 = c.yMax ?? Math.max(...ys, y0 + 1)
  const X = (v: number) => m.l + ((v - x0) / (x1 - x0)) * (W - m.l - m.r)
  const Y = (v: number) => H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="20" font-size="14" font-weight="bold">${esc(c.title)}</text>`,
  ]
  for (const t of niceTicks(x0, x1))
    out.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/><text x="${X(t)}" y="${H - m.b + 16}" text-anchor="middle">${fmtTick(t)}</text>`)
  for (const t of niceTicks(y0, y1)) out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${Y(t)}" y2="${Y(t)}" stroke="#eee"/><text x="${m.l - 6}" y="${Y(t) + 4}" text-anchor="end">${fmtTick(t)}</text>`)
  out.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#999"/>`)
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle">${esc(c.xLabel)}</text>`)
  out.push(`<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(c.yLabel)}</text>`)
  c.series.forEach((s, i) => {
    const sorted = [...s.points].sort((a, b) => a.x - b.x)
    const band = sorted.filter((p) => p.lo !== undefined && p.hi !== undefined)
    if (band.length > 1 && !s.markersOnly) {
      const d = [...band.map((p) => `${X(p.x)},${Y(p.hi!)}`), ...band.reverse().map((p) => `${X(p.x)},${Y(p.lo!)}`)].join(' ')
      out.push(`<polygon points="${d}" fill="${s.color}" opacity="0.15"/>`)
    }
    if (!s.markersOnly && sorted.length > 1)
      out.push(`<polyline points="${sorted.map((p) => `${X(p.x)},${Y(p.y)}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`)
    for (const p of sorted) {
      out.push(`<circle cx="${X(p.x)}" cy="${Y(p.y)}" r="${s.markersOnly ? 4 : 2.5}" fill="${s.color}"/>`)
      if (s.markersOnly && p.lo !== undefined) out.push(`<line x1="${X(p.x)}" x2="${X(p.x)}" y1="${Y(p.lo)}" y2="${Y(p.hi!)}" stroke="${s.color}"/>`)
    }
    const ly = m.t + 8 + i * 18
    out.push(
      `<line x1="${W - m.r + 10}" x2="${W - m.r + 30}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/><text x="${W - m.r + 36}" y="${ly + 4}">${esc(s.name)}</text>`,
    )
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}
