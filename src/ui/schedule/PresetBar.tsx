// Preset curves (schedule.ts's PRESETS for the LR, EPS_PRESETS for ε); the one matching the
// curve is highlighted.

import type { ControlPoint } from '../../core/schedule'

const same = (a: readonly ControlPoint[], b: readonly ControlPoint[]) => a.length === b.length && a.every((p, i) => p.t === b[i].t && p.y === b[i].y)

interface Props<N extends string> {
  presets: Record<N, { label: string; points: ControlPoint[] }>
  current: readonly ControlPoint[]
  onApply: (name: N) => void
  label: string // for screen readers, e.g. 'Schedule presets'
  testIdPrefix: string // 'preset' → data-testid 'preset-<name>'
}

export function PresetBar<N extends string>({ presets, current, onApply, label, testIdPrefix }: Props<N>) {
  return (
    <div className="preset-bar" role="group" aria-label={label}>
      {(Object.keys(presets) as N[]).map((name) => {
        const on = same(current, presets[name].points)
        return (
          <button key={name} type="button" className={`chip${on ? ' active' : ''}`} aria-pressed={on} onClick={() => onApply(name)} data-testid={`${testIdPrefix}-${name}`}>
            {presets[name].label}
          </button>
        )
      })}
    </div>
  )
}
