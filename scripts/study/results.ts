// Reading a study's results back: every finished run's log (the engine's, or a PyTorch run's) with
// the oracle's re-evaluation beside it, as one flat record per run for the report.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RunConfig } from '../../src/core/config'
import type { ControlPoint } from '../../src/core/schedule'
import type { EvalPoint, StepInfo } from '../../src/core/train/types'
import { passesPerImage } from './spec'

/** Where an oracle figure was computed. */
export interface Where {
  device?: string
  torch?: string
}

export interface Oracle {
  clean?: { n: number; accuracy: number } & Where
  pgd20?: { n: number; clean: number; robust: number } & Where
  apgd?: { n: number; iters: number; robust: number } & Where
}

export interface EngineLog {
  id: string
  label: string
  grids: { grid: string; axes: Record<string, unknown> }[]
  scheduleName: string
  epsCurveName: string
  budget: { passes: number } | { epochs: number } | null
  startedAt: string
  passes: number
  config: RunConfig
  schedule: ControlPoint[]
  backend: string
  status: string
  reason: string | null
  wallMs: number
  totalMs: number
  medianImagesPerSec: number | null
  evals: EvalPoint[]
  steps: StepInfo[]
}

export interface RunResult {
  study: string
  log: EngineLog
  oracle: Oracle
  final: EvalPoint | null // the engine's last evaluation
  imagesSeen: number
}

export function readStudy(dir: string, study: string): RunResult[] {
  const runs = join(dir, 'runs')
  if (!existsSync(runs)) return []
  const out: RunResult[] = []
  for (const id of readdirSync(runs).sort()) {
    const logPath = join(runs, id, 'log.json')
    if (!existsSync(logPath)) continue
    const log = JSON.parse(readFileSync(logPath, 'utf8')) as EngineLog
    const oraclePath = join(runs, id, 'oracle.json')
    const oracle = existsSync(oraclePath) ? (JSON.parse(readFileSync(oraclePath, 'utf8')) as Oracle) : {}
    out.push({ study, log, oracle, final: log.evals.at(-1) ?? null, imagesSeen: log.steps.length * log.config.batchSize })
  }
  return out
}

/** A PyTorch run of torch_train.py (the scout): its arguments, history and the oracle's figures. */
export interface TorchRun {
  name: string
  args: Record<string, string | number | boolean | null>
  status: string
  totalSteps: number
  imagesSeen: number
  history: { step: number; epoch: number; clean: number; robust: number; trainSeconds: number }[]
  seconds: number
  device: string
  oracle: Oracle
  passes: number
}

/** A run stopped before its first log: its evaluation points from the progress lines it printed. */
function fromProgress(stderr: string, recipe: string): Omit<TorchRun, 'name' | 'oracle' | 'passes'> | null {
  const points = [...stderr.matchAll(/^step (\d+)\/(\d+): clean ([\d.]+) %\s+PGD-\d+ ([\d.]+) %\s+\((\d+) s training\)/gm)]
  if (!points.length) return null
  const opt = (k: string, d: string) => new RegExp(`--${k} (\\S+)`).exec(recipe)?.[1] ?? d
  const batch = Number(opt('batch', '128'))
  const last = points.at(-1)!
  return {
    args: { attack: opt('attack', 'pgd'), steps: Number(opt('steps', '7')), batch, eval_n: Number(opt('eval-n', '1000')), init: opt('init', '') },
    status: 'stopped at the deadline',
    totalSteps: Number(last[2]),
    imagesSeen: Number(last[1]) * batch,
    history: points.map((m) => ({ step: Number(m[1]), epoch: 0, clean: Number(m[3]) / 100, robust: Number(m[4]) / 100, trainSeconds: Number(m[5]) })),
    seconds: Number(last[5]),
    device: '',
  }
}

/** PyTorch runs under dir/runs; `recipes` (name → options) describes runs that left no log. */
export function readTorchRuns(dir: string, recipes: Map<string, string> = new Map()): TorchRun[] {
  const runs = join(dir, 'runs')
  if (!existsSync(runs)) return []
  return readdirSync(runs)
    .sort()
    .flatMap((name) => {
      const p = join(runs, name, 'log.json')
      const err = join(runs, name, 'stderr.log')
      const r = existsSync(p)
        ? (JSON.parse(readFileSync(p, 'utf8')) as Omit<TorchRun, 'name' | 'oracle' | 'passes'>)
        : existsSync(err)
          ? fromProgress(readFileSync(err, 'utf8'), recipes.get(name) ?? '')
          : null
      if (!r) return []
      const o = join(runs, name, 'oracle.json')
      const attack = { kind: String(r.args.attack) as 'pgd' | 'fgsm-rs' | 'none', steps: Number(r.args.steps) }
      return [{ ...r, name, oracle: existsSync(o) ? (JSON.parse(readFileSync(o, 'utf8')) as Oracle) : {}, passes: r.imagesSeen * passesPerImage(attack) }]
    })
}

export const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length
/** Sample standard deviation (n − 1); 0 for a single value. */
export const sd = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)))
