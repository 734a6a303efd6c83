// One click for a schedule comparison: queues a run per ticked LR preset with the current
// configuration (ε curve and seed included), each named after its preset, all ticked for the
// charts and the comparison table.

import { useState } from 'react'
import { PRESET_NAMES, PRESETS, type PresetName } from '../../core/schedule'
import { runBlockers } from '../../store'
import { useActions, useAppShallow } from '../shared/StoreContext'

export function CompareSchedules() {
  const a = useActions()
  const blockers = useAppShallow(runBlockers)
  const [chosen, setChosen] = useState<PresetName[]>([...PRESET_NAMES])
  const toggle = (name: PresetName) => setChosen((c) => (c.includes(name) ? c.filter((n) => n !== name) : PRESET_NAMES.filter((n) => n === name || c.includes(n))))
  const blocked = blockers[0] ?? (chosen.length ? null : 'Tick at least one schedule.')
  return (
    <details className="card compare-schedules" data-testid="compare-schedules">
      <summary>Compare schedules</summary>
      <p className="muted small">One run per ticked schedule, each with this configuration, ε curve and seed.</p>
      <div className="schedule-checks">
        {PRESET_NAMES.map((name) => (
          <label key={name} className="field-check-inline">
            <input type="checkbox" checked={chosen.includes(name)} onChange={() => toggle(name)} data-testid={`compare-preset-${name}`} />
            {PRESETS[name].label}
          </label>
        ))}
      </div>
      <button className="btn" type="button" disabled={!!blocked} title={blocked ?? undefined} onClick={() => a.compareSchedules(chosen)} data-testid="queue-comparison">
        Queue {chosen.length} run{chosen.length === 1 ? '' : 's'}
      </button>
    </details>
  )
}
