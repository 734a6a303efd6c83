// A run's history JSON ('advtune-run-history' v1: the page's own download, or what the exported
// PyTorch script writes on a cluster) back into the page as a read-only run: its curves, its
// evaluation points and, when given, its final weights. Wrong files are refused with a message
// that names the problem, and nothing in the store changes.

import { parseSafetensors } from '../core/checkpoint/safetensors'
import { configProblems, MODEL_NAMES, totalSteps, type ModelName, type RunConfig } from '../core/config'
import { specOf, tensorSpecs } from '../core/model/spec'
import { scheduleProblems, type ControlPoint } from '../core/schedule'
import type { EvalPoint } from '../core/train/types'
import type { Ctx } from './context'
import { errorText } from './persistence'
import { nextRunNumber, pickColor } from './runs'
import { isFinished, type Run, type RunStatus, type StepSample } from './types'

export const HISTORY_FORMAT = 'advtune-run-history'

/** The parts of a history file the page uses, validated. */
export interface RunHistory {
  run: { id: string; name: string; status: RunStatus; reason: string | null; createdAt: number; wallMs: number | null }
  base: Run['base']
  config: RunConfig
  schedule: ControlPoint[]
  totalSteps: number
  evals: EvalPoint[]
  steps: StepSample[]
  /** Who wrote it: "PyTorch 2.5.1, 8 processes (cuda)" for the script, null for the page. */
  producer: string | null
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

function evalPointOf(p: unknown, i: number, label: string): EvalPoint {
  const bad = (what: string) => new Error(`${label}: evaluation ${i + 1} ${what}`)
  if (!isObj(p)) throw bad('is not an object')
  for (const k of ['step', 'epoch', 'clean', 'robust', 'evalSize'] as const) if (!num(p[k])) throw bad(`has no number '${k}'`)
  const q = p as Record<'step' | 'epoch' | 'clean' | 'robust' | 'evalSize', number> & Record<string, unknown>
  if (q.clean < 0 || q.clean > 1 || q.robust < 0 || q.robust > 1) throw bad('has an accuracy outside [0, 1]')
  const classes = (v: unknown) => (Array.isArray(v) && v.length === 10 && v.every(num) ? v : Array(10).fill(0))
  return {
    step: q.step,
    epoch: q.epoch,
    lr: num(q.lr) ? q.lr : 0,
    trainLoss: num(q.trainLoss) ? q.trainLoss : null,
    clean: q.clean,
    robust: q.robust,
    perClassClean: classes(q.perClassClean),
    perClassRobust: classes(q.perClassRobust),
    evalSize: q.evalSize,
    elapsedMs: num(q.elapsedMs) ? q.elapsedMs : 0,
  }
}

function producerLabel(p: unknown): string | null {
  if (!isObj(p)) return null
  const world = num(p.worldSize) ? p.worldSize : 1
  const torch = typeof p.torch === 'string' ? `PyTorch ${p.torch}` : 'PyTorch'
  const device = typeof p.device === 'string' ? p.device : '?'
  return `${torch}, ${world} process${world === 1 ? '' : 'es'} (${device})`
}

/** Parses and checks a history file; throws an Error whose message names the file and the problem. */
export function parseRunHistory(text: string, fileName: string): RunHistory {
  const label = `'${fileName}'`
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (e) {
    throw new Error(`${label} is not JSON (${errorText(e)})`)
  }
  if (!isObj(doc) || doc.format !== HISTORY_FORMAT) throw new Error(`${label} is not an advtune run history (no "format": "${HISTORY_FORMAT}")`)
  if (doc.version !== 1) throw new Error(`${label} is an advtune run history of version ${String(doc.version)}; this page reads version 1`)
  const run = doc.run
  if (!isObj(run) || typeof run.name !== 'string') throw new Error(`${label} has no run name`)
  const config = doc.config as RunConfig
  if (!isObj(config)) throw new Error(`${label} has no run configuration`)
  // A cluster run may use an architecture the page cannot build (--arch): its numbers still compare.
  const known = MODEL_NAMES.includes(config.model)
  const problems = configProblems({ ...config, model: known ? config.model : 'resnet20' })
  if (problems.length) throw new Error(`${label} has an unusable configuration: ${problems.join(' ')}`)
  const schedule = doc.schedule
  if (!Array.isArray(schedule) || scheduleProblems(schedule as ControlPoint[]).length)
    throw new Error(`${label} has no usable LR schedule${Array.isArray(schedule) ? `: ${scheduleProblems(schedule as ControlPoint[]).join(' ')}` : ''}`)
  if (!Array.isArray(doc.evals)) throw new Error(`${label} has no evaluations`)
  const evals = doc.evals.map((p, i) => evalPointOf(p, i, label))
  if (!evals.some((p) => p.step > 0)) throw new Error(`${label} has no evaluation after training started: nothing to compare`)
  const steps: StepSample[] = (Array.isArray(doc.steps) ? doc.steps : [])
    .filter((s): s is Record<string, unknown> => isObj(s) && num(s.step) && num(s.lr))
    .map((s) => ({ step: s.step as number, epoch: num(s.epoch) ? s.epoch : 0, lr: s.lr as number, ...(num(s.eps255) ? { eps255: s.eps255 } : {}), loss: num(s.loss) ? s.loss : NaN }))
  const status = typeof run.status === 'string' && isFinished(run.status as RunStatus) ? (run.status as RunStatus) : 'stopped'
  const base = isObj(doc.base) && typeof doc.base.model === 'string' ? { model: doc.base.model, source: String(doc.base.source ?? '') } : { model: config.model, source: '' }
  const created = typeof run.createdAt === 'string' ? Date.parse(run.createdAt) : NaN
  return {
    run: {
      id: typeof run.id === 'string' ? run.id : '',
      name: run.name,
      status,
      // A history still being written (the script rewrites it at every evaluation) ends where it is.
      reason: typeof run.reason === 'string' ? run.reason : status === 'stopped' ? 'the history ends here (the run was still going when it was written)' : null,
      createdAt: Number.isFinite(created) ? created : 0,
      wallMs: num(run.wallMs) ? run.wallMs : null,
    },
    base,
    config: structuredClone(config),
    schedule: (schedule as ControlPoint[]).map((p) => ({ t: p.t, y: p.y })),
    totalSteps: num(doc.totalSteps) ? doc.totalSteps : totalSteps(config),
    evals,
    steps,
    producer: producerLabel(doc.producer),
  }
}

/**
 * Checks that safetensors bytes are the weights of the history's architecture (names and shapes,
 * strictly: every missing, unexpected or mis-shaped tensor is named); throws otherwise.
 */
export function checkHistoryWeights(bytes: Uint8Array, fileName: string, model: string): void {
  if (!MODEL_NAMES.includes(model as ModelName)) throw new Error(`'${fileName}': the page cannot hold weights of ${model}; the history is imported without them`)
  const dict = parseSafetensors(bytes)
  const want = new Map(tensorSpecs(specOf(model as ModelName)).map((t) => [t.name, t.shape]))
  const missing = [...want.keys()].filter((n) => !dict.has(n) && !n.endsWith('num_batches_tracked'))
  // BatchNorm's step counters ride along in PyTorch's state dicts; the model does not need them.
  const unexpected = [...dict.keys()].filter((n) => !want.has(n) && !n.endsWith('num_batches_tracked'))
  const shapes = [...want].filter(([n, s]) => dict.has(n) && dict.get(n)!.shape.join('x') !== s.join('x')).map(([n]) => n)
  const parts = [
    missing.length && `missing ${missing.slice(0, 6).join(', ')}`,
    unexpected.length && `unexpected ${unexpected.slice(0, 6).join(', ')}`,
    shapes.length && `wrong shapes ${shapes.slice(0, 6).join(', ')}`,
  ].filter(Boolean)
  if (parts.length) throw new Error(`'${fileName}' are not ${model} weights (${parts.join('; ')})`)
}

/** A read-only run record of an imported history. */
export function runFromHistory(h: RunHistory, o: { id: string; number: number; color: string; now: number; fileName: string }): Run {
  return {
    id: o.id,
    number: o.number,
    name: h.run.name,
    color: o.color,
    createdAt: h.run.createdAt || o.now,
    base: h.base,
    config: h.config,
    schedule: h.schedule,
    status: h.run.status,
    reason: h.run.reason,
    totalSteps: h.totalSteps,
    baseline: null,
    baselineExamples: [],
    evals: h.evals,
    steps: h.steps,
    examples: null,
    wallMs: h.run.wallMs,
    endedAt: o.now,
    weights: 'none',
    strongEval: null,
    imported: { fileName: o.fileName, producer: h.producer },
  }
}

/**
 * Imports a history (and optionally the final weights written beside it) as a new selected run,
 * saved like any other. Returns the run's id, or null after telling the user what was wrong.
 */
export async function importHistory(ctx: Ctx, file: { name: string; text: string }, weights?: { name: string; bytes: ArrayBuffer }): Promise<string | null> {
  let h: RunHistory
  try {
    h = parseRunHistory(file.text, file.name)
  } catch (e) {
    ctx.notify('error', `History not imported: ${errorText(e)}`)
    return null
  }
  let weightsOk = false
  if (weights) {
    try {
      checkHistoryWeights(new Uint8Array(weights.bytes), weights.name, h.config.model)
      weightsOk = true
    } catch (e) {
      ctx.notify('warning', `The history is imported without weights: ${errorText(e)}`)
    }
  }
  const runs = Object.values(ctx.get().runs)
  const run = runFromHistory(h, { id: ctx.deps.newId(), number: nextRunNumber(runs), color: pickColor(runs), now: ctx.deps.now(), fileName: file.name })
  ctx.set((s) => ({ runs: { ...s.runs, [run.id]: run }, runOrder: [...s.runOrder, run.id], selected: [...s.selected, run.id] }))
  await ctx.saveNow(run.id)
  if (weightsOk && weights) {
    ctx.weights.set(run.id, weights.bytes)
    try {
      await ctx.deps.runStorage.putWeights(run.id, weights.bytes)
      ctx.updateRun(run.id, (r) => ({ ...r, weights: 'saved' }))
    } catch {
      ctx.updateRun(run.id, (r) => ({ ...r, weights: 'memory' }))
    }
    await ctx.saveNow(run.id)
  }
  ctx.notify('info', `Imported ${run.name}${h.producer ? ` (${h.producer})` : ''}${weightsOk ? ' with its weights' : ''}.`)
  return run.id
}
