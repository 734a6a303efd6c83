// Every run: select it for the charts and the comparison, rename it, see its status and
// progress, show its previews, download or delete it.

import { finalEval } from '../../store/compare'
import { epsCurveLabel, pct, trainAttackLabel } from '../../store/describe'
import type { Run } from '../../store/types'
import { ImportHistoryButton } from './ImportHistory'
import { RunActions } from './RunActions'
import { StatusPill } from './StatusPill'
import { formatBytes, StorageUse } from './StorageUse'
import { useActions, useApp, useAppShallow } from '../shared/StoreContext'

function RunRow({ run, selected, focused }: { run: Run; selected: boolean; focused: boolean }) {
  const a = useActions()
  const last = run.steps[run.steps.length - 1]
  const f = finalEval(run)
  return (
    <li className={`run-row${focused ? ' focused' : ''}`} data-testid="run-row" data-run={run.id} data-status={run.status}>
      <input type="checkbox" checked={selected} onChange={() => a.toggleSelected(run.id)} aria-label={`Show ${run.name} in charts and comparison`} />
      <span className="swatch" style={{ background: run.color }} aria-hidden="true" />
      <input
        className="run-name"
        defaultValue={run.name}
        key={run.name}
        aria-label="Run name"
        data-testid="run-name"
        onBlur={(e) => a.renameRun(run.id, e.target.value)}
        onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
      />
      <StatusPill status={run.status} />
      <span className="run-meta" title={run.reason ?? undefined}>
        {[run.base.model, trainAttackLabel(run.config.trainAttack), epsCurveLabel(run.config)].filter(Boolean).join(' · ')} · {last?.step ?? 0}/{run.totalSteps} steps
        {f && ` · ${pct(f.clean)} / ${pct(f.robust)} %`}
        {run.strongEval && ` · APGD-CE ${pct(run.strongEval.point.robust)} %`}
        {run.imported && (
          <span data-testid="run-imported" title={`Read from ${run.imported.fileName}`}>
            {' '}
            · imported{run.imported.producer ? ` (${run.imported.producer})` : ''}
          </span>
        )}
        {run.reason && <span className="run-reason-inline"> · {run.reason}</span>}
        {run.snapshot && run.status === 'interrupted' && (
          <span data-testid="run-snapshot">
            {' '}
            · resumable from step {run.snapshot.step} ({formatBytes(run.snapshot.bytes)})
          </span>
        )}
        {run.resumeNote && (
          <span className="run-reason-inline" data-testid="resume-note">
            {' '}
            · {run.resumeNote}
          </span>
        )}
        {run.weights === 'saved' && run.weightsBytes ? ` · weights ${formatBytes(run.weightsBytes)}` : ''}
      </span>
      <button type="button" className="btn btn-small btn-ghost" onClick={() => a.focusRun(run.id)} disabled={focused} title="Show this run's progress and previews">
        {focused ? 'Shown' : 'Show'}
      </button>
      <RunActions run={run} />
    </li>
  )
}

export function RunList() {
  const runs = useAppShallow((s) => s.runOrder.map((id) => s.runs[id]))
  const selected = useApp((s) => s.selected)
  const focusId = useApp((s) => s.focusRunId ?? s.activeRunId ?? s.runOrder[s.runOrder.length - 1] ?? null)
  return (
    <section className="card runs-card" aria-labelledby="runs-title">
      <div className="card-head">
        <h2 id="runs-title">Runs</h2>
        <span className="muted">{runs.length ? 'Tick runs to overlay them in the charts and the comparison.' : 'Runs you start appear here and survive a reload.'}</span>
        <ImportHistoryButton />
        <StorageUse />
      </div>
      <ul className="run-list" data-testid="run-list">
        {[...runs].reverse().map((r) => (
          <RunRow key={r.id} run={r} selected={selected.includes(r.id)} focused={r.id === focusId} />
        ))}
      </ul>
    </section>
  )
}
