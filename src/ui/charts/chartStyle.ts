// Shared styling of the recharts axes and tooltips (colours come from CSS variables).

export const axisProps = {
  tick: { fontSize: 11, fill: 'var(--muted)' },
  stroke: 'var(--border-strong)',
  tickLine: false,
} as const

export const tooltipProps = {
  contentStyle: { background: 'var(--surface)', border: '1px solid var(--border)', borderRadius: 8, fontSize: 12 },
  labelStyle: { color: 'var(--muted)' },
  isAnimationActive: false,
} as const
