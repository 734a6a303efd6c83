// Preset schedules (schedule.ts's PRESETS); the one matching the curve is highlighted.

import { PRESETS, type PresetName } from '../core/schedule'
import { useActions, useApp } from './StoreContext'

const same = (a: readonly { t: number; y: number }[], b: readonly { t: number; y: number }[]) => a.length === b.length && a.every((p, i) => p.t === b[i].t && p.y === b[i].y)

export function PresetBar() {
  const a = useActions()
  const pts = useApp((s) => s.schedule)
  return (
    <div className="preset-bar" role="group" aria-label="Schedule presets">
      {(Object.keys(PRESETS) as PresetName[]).map((name) => (
        <button key={name} type="button" className={`chip${same(pts, PRESETS[name].points) ? ' active' : ''}`} aria-pressed={same(pts, PRESETS[name].points)} onClick={() => a.applyPreset(name)} data-testid={`preset-${name}`}>
          {PRESETS[name].label}
        </button>
      ))}
    </div>
  )
}
