// Downloaded file names and history files, and the comparison's winner.

import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/core/config'
import { DEFAULT_SCHEDULE } from '../../src/core/schedule'
import { comparabilityWarning, finalEval, winnerId } from '../../src/store/compare'
import { evalAttackLabel, trainAttackLabel } from '../../src/store/describe'
import { chartEvals, historyCsv, historyJson, runFileStem } from '../../src/store/exports'
import { createRun } from '../../src/store/runs'
import type { Run } from '../../src/store/types'
import { evalPoint } from './helpers'

function run(n: number, evals: [number, number, number][], extra: Partial<Run> = {}): Run {
  const r = createRun({ id: `r${n}`, number: n, color: '#000', now: 0, config: DEFAULT_CONFIG, schedule: DEFAULT_SCHEDULE, base: { model: 'resnet20', source: 'x' } })
  return { ...r, evals: evals.map(([s, c, rob]) => evalPoint(s, c, rob)), ...extra }
}

describe('exports', () => {
  it('names files after the run and its final metrics', () => {
    expect(
      runFileStem(
        run(2, [
          [0, 0.9, 0],
          [20, 0.8712, 0.4121],
        ]),
      ),
    ).toBe('advtune-run-2-resnet20-clean87.1-robust41.2')
    expect(runFileStem({ ...run(3, []), name: 'Slow start / fast decay!' })).toBe('advtune-slow-start-fast-decay-resnet20')
  })

  it('labels attacks the way papers do', () => {
    expect(evalAttackLabel(DEFAULT_CONFIG.evalAttack)).toBe('PGD-10, ε=8/255')
    expect(evalAttackLabel({ ...DEFAULT_CONFIG.evalAttack, kind: 'fgsm', eps255: 4 })).toBe('FGSM, ε=4/255')
    expect(evalAttackLabel({ ...DEFAULT_CONFIG.evalAttack, restarts: 3, randomStart: true })).toBe('PGD-10, ε=8/255 (random start, 3 restarts)')
    expect(trainAttackLabel({ kind: 'pgd', eps255: 8, stepSize255: 2, steps: 7 })).toBe('PGD-7, ε=8/255, step 2/255')
    expect(trainAttackLabel(DEFAULT_CONFIG.trainAttack)).toBe('FGSM-RS, ε=8/255')
  })

  it('writes CSV with one row per evaluation, starting at the baseline', () => {
    const r = { ...run(1, [[10, 0.8, 0.3]]), baseline: evalPoint(0, 0.9, 0.01) }
    const lines = historyCsv(r).trim().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0].split(',').slice(0, 6)).toEqual(['step', 'epoch', 'lr', 'train_loss', 'clean_acc', 'robust_acc'])
    expect(lines[0].split(',')).toHaveLength(28)
    expect(lines[1].split(',').slice(0, 6)).toEqual(['0', '0', '0', '', '0.9', '0.01'])
    expect(lines[2].split(',').slice(0, 6)).toEqual(['10', '1', '0.01', '1.5', '0.8', '0.3'])
  })

  it('writes JSON with config, curve and history, turning NaN losses into null', () => {
    const r = { ...run(1, [[0, 0.9, 0]]), steps: [{ step: 1, epoch: 0.1, lr: 0.01, loss: NaN }], status: 'diverged' as const }
    const doc = JSON.parse(historyJson(r, '0.1.0'))
    expect(doc.config).toEqual(DEFAULT_CONFIG)
    expect(doc.schedule).toEqual(DEFAULT_SCHEDULE)
    expect(doc.steps[0].loss).toBeNull()
    expect(doc.run.status).toBe('diverged')
    expect(doc.labels.evalAttack).toBe('PGD-10, ε=8/255')
    expect(doc.strongEval).toBeNull()
    const attack = { ...DEFAULT_CONFIG.evalAttack, kind: 'apgd-ce' as const, steps: 100 }
    const evaluated = JSON.parse(historyJson({ ...r, strongEval: { attack, point: evalPoint(0, 0.8, 0.35), at: 0 } }, '0.1.0'))
    expect(evaluated.strongEval).toMatchObject({ label: 'APGD-CE-100, ε=8/255', point: { robust: 0.35 } })
  })

  it('chart points do not duplicate step 0 when the run measured it itself', () => {
    const r = {
      ...run(1, [
        [0, 0.91, 0.02],
        [5, 0.8, 0.2],
      ]),
      baseline: evalPoint(0, 0.9, 0.01),
    }
    expect(chartEvals(r).map((p) => p.clean)).toEqual([0.91, 0.8])
  })
})

describe('comparison', () => {
  it('the winner has the best final robust accuracy; ties go to clean accuracy', () => {
    const a = run(1, [
      [0, 0.9, 0],
      [10, 0.8, 0.4],
    ])
    const b = run(2, [
      [0, 0.9, 0],
      [10, 0.85, 0.4],
    ])
    const c = run(3, [
      [0, 0.9, 0],
      [10, 0.9, 0.35],
    ])
    const none = run(4, [[0, 0.9, 0]])
    expect(winnerId([a, b, c, none])).toBe('r2')
    expect(winnerId([none])).toBeNull()
    expect(finalEval(none)).toBeNull()
    expect(finalEval(a)!.robust).toBe(0.4)
  })

  it('warns when runs were evaluated under different attacks', () => {
    const a = run(1, [])
    const b = { ...run(2, []), config: { ...DEFAULT_CONFIG, evalAttack: { ...DEFAULT_CONFIG.evalAttack, steps: 20 } } }
    expect(comparabilityWarning([a, run(3, [])])).toBeNull()
    expect(comparabilityWarning([a, b])).toMatch(/PGD-20/)
  })
})
