// The base model's clean and robust accuracy on the evaluation subset: every run starts here.

import { currentBaseline } from '../../store'
import { evalAttackLabel, pct } from '../../store/describe'
import { useApp } from '../shared/StoreContext'

export function BaselineChip() {
  const entry = useApp(currentBaseline)
  const model = useApp((s) => s.baseModel?.model)
  const attack = useApp((s) => s.config.evalAttack)
  const size = useApp((s) => s.config.evalSize)
  if (!model) return null
  const what = `${evalAttackLabel(attack)}, ${size} test images`
  if (!entry || entry.status === 'pending')
    return (
      <div className="baseline-chip muted" data-testid="baseline" data-status="pending">
        <span className="spinner" aria-hidden="true" /> Measuring {model} baseline ({what})…
      </div>
    )
  if (entry.status === 'error' || !entry.point)
    return (
      <div className="baseline-chip error" data-testid="baseline" data-status="error">
        Baseline failed: {entry.error}
      </div>
    )
  return (
    <div className="baseline-chip" data-testid="baseline" data-status="ready" title={`Before fine-tuning, ${what}`}>
      <span className="chip-label">Base {model}</span>
      <span>
        clean <strong data-testid="baseline-clean">{pct(entry.point.clean)} %</strong>
      </span>
      <span>
        robust <strong data-testid="baseline-robust">{pct(entry.point.robust)} %</strong>
      </span>
      <span className="chip-detail">{what}</span>
    </div>
  )
}
