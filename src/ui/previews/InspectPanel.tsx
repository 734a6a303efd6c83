// The on-demand attack of one clicked image with the model in use right now.

import { evalAttackLabel } from '../../store/describe'
import { ExampleImages, Prediction } from './ExampleCard'
import { useActions, useApp } from '../shared/StoreContext'

export function InspectPanel() {
  const a = useActions()
  const inspect = useApp((s) => s.inspect)
  if (!inspect) return null
  return (
    <div className="inspect" data-testid="inspect" data-status={inspect.status} role="region" aria-label="On-demand attack">
      <div className="inspect-head">
        <strong>Image #{inspect.index}</strong>
        <span className="muted">
          {evalAttackLabel(inspect.attack)} on {inspect.modelLabel}
        </span>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => a.closeInspect()} aria-label="Close">
          ×
        </button>
      </div>
      {inspect.status === 'pending' && (
        <p className="muted">
          <span className="spinner" aria-hidden="true" /> Attacking…
        </p>
      )}
      {inspect.status === 'error' && <p className="inline-error">{inspect.error}</p>}
      {inspect.status === 'ready' && inspect.example && (
        <div className="inspect-body">
          <ExampleImages ex={inspect.example} eps255={inspect.attack.eps255} size={96} />
          <div>
            <Prediction label="clean" pred={inspect.example.cleanPred} conf={inspect.example.cleanConf} truth={inspect.example.label} />
            <Prediction label="attacked" pred={inspect.example.advPred} conf={inspect.example.advConf} truth={inspect.example.label} />
          </div>
        </div>
      )}
    </div>
  )
}
