// Side-by-side comparison of the selected runs: final clean and robust accuracy (attack named),
// APGD-CE robust accuracy where it was measured, change from the start, wall time, LR and ε
// curves, per-class robust accuracy; the winner (best robust accuracy, ties by clean) highlighted.

import { CIFAR10_CLASSES } from '../../core/config'
import { comparabilityWarning, finalEval, winnerId } from '../../store/compare'
import { evalAttackLabel, pct, trainingLabel } from '../../store/describe'
import type { EvalJob, Run } from '../../store/types'
import { chartEvals } from '../../store/exports'
import { fmtDuration } from '../shared/format'
import { ScheduleThumb } from '../schedule/ScheduleThumb'
import { useApp, useAppShallow } from '../shared/StoreContext'
import type { CSSProperties } from 'react'

const delta = (now: number, before: number | undefined) => (before === undefined ? '' : `${now >= before ? '+' : '−'}${pct(Math.abs(now - before))}`)

/** The APGD-CE cell: the robust accuracy it measured, or how far its evaluation is. */
function StrongCell({ run, job }: { run: Run; job: EvalJob | undefined }) {
  if (job)
    return (
      <td className="num muted" data-testid="strong-eval">
        {job.status === 'queued' ? 'queued' : `${Math.round((100 * job.done) / Math.max(1, job.total))} %…`}
      </td>
    )
  const e = run.strongEval
  if (!e)
    return (
      <td className="num muted" data-testid="strong-eval">
        –
      </td>
    )
  return (
    <td className="num strong" data-testid="strong-eval" title={`${evalAttackLabel(e.attack)} on ${e.point.evalSize} test images; clean ${pct(e.point.clean)} %`}>
      {pct(e.point.robust)}
    </td>
  )
}

export function CompareTable() {
  const runs = useAppShallow((s) => s.runOrder.filter((id) => s.selected.includes(id)).map((id) => s.runs[id]))
  const jobs = useApp((s) => s.evaluations)
  if (runs.length === 0) return null
  const winner = runs.length > 1 ? winnerId(runs) : null
  const warning = comparabilityWarning(runs)
  const strong = runs.some((r) => r.strongEval || jobs[r.id])
  // Same evaluation for all runs: the pretrained base model's step-0 point is a fair reference
  // row (a run from scratch starts from random weights instead).
  const base = warning
    ? null
    : (runs
        .filter((r) => r.config.init !== 'random')
        .map((r) => chartEvals(r)[0])
        .find((p) => p?.step === 0) ?? null)
  return (
    <section className="card compare-card" aria-labelledby="compare-title" data-testid="compare">
      <div className="card-head">
        <h2 id="compare-title">Comparison</h2>
        {warning && <span className="warn-note">{warning}</span>}
      </div>
      <div className="table-scroll">
        <table className="compare-table" data-testid="compare-table">
          <thead>
            <tr>
              <th>Run</th>
              <th title="LR schedule solid, ε curve dashed">Schedule</th>
              <th>Training</th>
              <th>Evaluated with</th>
              <th className="num">Clean %</th>
              <th className="num">Robust %</th>
              {strong && (
                <th className="num" title="Robust accuracy of the final weights under APGD-CE (AutoAttack's first attack), same ε and images">
                  APGD-CE %
                </th>
              )}
              <th className="num">Δ robust</th>
              <th className="num">Wall time</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => {
              const f = finalEval(r)
              const start = chartEvals(r)[0]
              return (
                <tr key={r.id} className={r.id === winner ? 'winner' : ''} data-testid="compare-row" data-run={r.id}>
                  <th scope="row">
                    <span className="swatch" style={{ background: r.color }} /> {r.name}
                    {r.id === winner && (
                      <span className="winner-badge" data-testid="winner">
                        ★ most robust
                      </span>
                    )}
                  </th>
                  <td>
                    <ScheduleThumb schedule={r.schedule} epsCurve={r.config.trainAttack.kind === 'none' ? null : r.config.epsCurve} color={r.color} />
                  </td>
                  <td className="small">
                    {trainingLabel(r.config)}
                    <br />
                    {r.config.epochs} ep × {r.config.trainSize} img, peak LR {r.config.peakLr}
                  </td>
                  <td className="small">
                    {evalAttackLabel(r.config.evalAttack)}
                    <br />
                    {r.config.evalSize} test images
                  </td>
                  <td className="num">{pct(f?.clean)}</td>
                  <td className="num strong">{pct(f?.robust)}</td>
                  {strong && <StrongCell run={r} job={jobs[r.id]} />}
                  <td className="num">{f && start && start.step === 0 ? delta(f.robust, start.robust) : ''}</td>
                  <td className="num">{fmtDuration(r.wallMs ?? f?.elapsedMs)}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
      <h3 className="subhead">Robust accuracy per class (%)</h3>
      <div className="table-scroll">
        <table className="class-table">
          <thead>
            <tr>
              <th>Run</th>
              {CIFAR10_CLASSES.map((c) => (
                <th key={c} className="num">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {base && (
              <tr className="base-row">
                <th scope="row">Base model</th>
                {CIFAR10_CLASSES.map((c, i) => (
                  <td key={c} className="num">
                    {pct(base.perClassRobust[i], 0)}
                  </td>
                ))}
              </tr>
            )}
            {runs.map((r) => {
              const f = finalEval(r)
              return (
                <tr key={r.id} className={r.id === winner ? 'winner' : ''}>
                  <th scope="row">
                    <span className="swatch" style={{ background: r.color }} /> {r.name}
                  </th>
                  {CIFAR10_CLASSES.map((c, i) => {
                    const v = f?.perClassRobust[i]
                    return (
                      <td key={c} className="num heat" style={{ '--heat': v ?? 0 } as CSSProperties}>
                        {pct(v, 0)}
                      </td>
                    )
                  })}
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    </section>
  )
}
