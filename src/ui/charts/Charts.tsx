// Live charts of the selected runs: clean and robust accuracy (from the baseline at step 0),
// training loss, and the learning rate and training ε actually applied, on a shared step or
// epoch axis.

import { useDeferredValue } from 'react'
import { currentBaseline } from '../../store'
import type { Run } from '../../store/types'
import { AccuracyChart } from './AccuracyChart'
import { StepChart } from './StepChart'
import { useActions, useApp, useAppShallow } from '../shared/StoreContext'
import { useThrottled } from '../shared/useThrottled'

export function Charts() {
  const a = useActions()
  const unit = useApp((s) => s.xAxis)
  const selectedRuns = useAppShallow((s) => s.runOrder.filter((id) => s.selected.includes(id)).map((id) => s.runs[id]))
  const runs = useThrottled<Run[]>(selectedRuns, 250)
  const baseline = useApp(currentBaseline)
  // recharts redraws take tens of ms; deferred, the accuracy chart redraws in a render React can
  // interrupt and spread over frames, after the cheap updates of the same report are on screen.
  const accuracyRuns = useDeferredValue(runs)
  return (
    <section className="card charts-card" aria-labelledby="charts-title">
      <div className="card-head">
        <h2 id="charts-title">Training curves</h2>
        <div className="legend" data-testid="chart-legend">
          {runs.map((r) => (
            <span key={r.id} className="legend-item">
              <span className="swatch" style={{ background: r.color }} />
              {r.name}
            </span>
          ))}
          {runs.length > 0 && <span className="legend-key">solid: clean · dashed: robust</span>}
        </div>
        <div className="segmented" role="group" aria-label="x axis">
          {(['step', 'epoch'] as const).map((u) => (
            <button key={u} type="button" className={unit === u ? 'active' : ''} aria-pressed={unit === u} onClick={() => a.setXAxis(u)}>
              {u === 'step' ? 'Steps' : 'Epochs'}
            </button>
          ))}
        </div>
      </div>
      <AccuracyChart runs={accuracyRuns} unit={unit} baseline={baseline?.point ?? null} />
      <div className="chart-pair">
        <StepChart runs={runs} unit={unit} metric="loss" title="Training loss (adversarial batches)" />
        <StepChart runs={runs} unit={unit} metric="lr" title="Learning rate applied" />
        <StepChart runs={runs} unit={unit} metric="eps255" title="ε applied (/255)" />
      </div>
    </section>
  )
}
