// A study file: grids of recipes over the axes a researcher varies (LR schedule, peak LR, training
// attack, ε curve, compute budget, seed, model and initialisation), expanded into runs, each with
// a stable id so an interrupted study resumes where it stopped. Every problem is found, and named
// by its field, before anything runs.
//
// {
//   "name": "laptop",                          results go to study-out/<name> unless --out says otherwise
//   "backend": "wasm",                         wasm | wasm-xnnpack | cpu | webgpu (Dawn); wasm-xnnpack is
//                                              WASM with tfjs's XNNPACK convolutions in place of
//                                              advtune's Winograd kernels (an A/B of the kernels)
//   "base": { "trainSize": 10000, … },         a partial RunConfig shared by every run
//   "evalPoints": 4,                           evaluations after step 0 (sets evalEvery per run)
//   "grids": [ { "name": "schedules",          a label the report groups by (a grid may set its own evalPoints)
//                "axes": { "schedule": ["slow-start-fast-decay", "constant"], "seed": [0, 1, 2],
//                          "budget": [{ "passes": 160000 }], "epsCurve": ["ramp-30"] } } ]
// }
// Axes: schedule (an LR preset name or [{t, y}…]), epsCurve (an ε preset or points), budget
// ({ "passes": forward+backward passes per the training attack, spent as the fewest epochs over a
// subset no larger than base.trainSize; or { "epochs": n }), and any RunConfig field (trainAttack
// and evalAttack take partial objects merged over the base). One value per axis may be given
// without the list.

import { TRAIN_ATTACKS } from '../../src/core/attacks/kinds'
import { configProblems, MODEL_NAMES, TRAIN_SET_SIZE, totalSteps, type RunConfig, type TrainAttack } from '../../src/core/config'
import { curveProblems, EPS_PRESETS, PRESETS, scheduleProblems, type ControlPoint, type EpsPresetName, type PresetName } from '../../src/core/schedule'
import { mergeConfig } from '../lib/headless'

export type StudyBackend = 'wasm' | 'wasm-xnnpack' | 'cpu' | 'webgpu'
const BACKENDS: readonly StudyBackend[] = ['wasm', 'wasm-xnnpack', 'cpu', 'webgpu']

export type Budget = { passes: number } | { epochs: number }

export interface StudyRun {
  id: string // stable: a hash of the recipe (config, schedule, backend), the run's folder name
  label: string // the axis values that make this run, for people
  /** The grids this recipe belongs to and its value on each of their axes (one run may serve several). */
  grids: { grid: string; axes: Record<string, unknown> }[]
  config: RunConfig
  schedule: ControlPoint[]
  scheduleName: string // the preset's name, or 'custom'
  epsCurveName: string
  budget: Budget | null
  backend: StudyBackend
}

export interface Study {
  name: string
  backend: StudyBackend
  runs: StudyRun[]
}

export class StudyError extends Error {
  constructor(readonly problems: string[]) {
    super(`the study file has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`)
    this.name = 'StudyError'
  }
}

const CONFIG_KEYS = new Set(Object.keys(mergeConfig()))
const SPECIAL_AXES = new Set(['schedule', 'epsCurve', 'budget'])

/** Forward+backward passes one training image costs under an attack (SCIENCE accounting). */
export function passesPerImage(a: Pick<TrainAttack, 'kind' | 'steps'>): number {
  return TRAIN_ATTACKS[a.kind].passesPerImage(a)
}

/** Forward+backward passes a finished run spent, from its recorded steps (ε 0 steps cost 1). */
export function passesSpent(c: RunConfig, steps: readonly { eps255: number }[]): number {
  const k = passesPerImage(c.trainAttack)
  return steps.reduce((n, s) => n + c.batchSize * (s.eps255 > 0 ? k : 1), 0)
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

function curveOf(v: unknown, presets: Record<string, { points: ControlPoint[] }>, field: string, problems: string[]): { points: ControlPoint[]; name: string } | null {
  if (typeof v === 'string') {
    if (presets[v]) return { points: presets[v].points, name: v }
    problems.push(`${field}: unknown preset "${v}" (known: ${Object.keys(presets).join(', ')})`)
    return null
  }
  if (Array.isArray(v) && v.every((p) => isObj(p) && typeof p.t === 'number' && typeof p.y === 'number')) return { points: v as ControlPoint[], name: 'custom' }
  problems.push(`${field}: expected a preset name or a list of {"t", "y"} points, got ${JSON.stringify(v)}`)
  return null
}

/** A short file-name-safe text for one axis value. */
function slug(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (Array.isArray(v)) return `pts${v.length}-${hash(JSON.stringify(v))}`
  if (isObj(v))
    return Object.entries(v)
      .map(([k, x]) => `${k}${slug(x)}`)
      .join('-')
  return 'null'
}

/** FNV-1a, twice with different offsets: 16 hex digits, collisions out of reach for a study. */
function hash(s: string): string {
  const one = (h: number) => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
    return (h >>> 0).toString(16).padStart(8, '0')
  }
  return one(0x811c9dc5) + one(0x01000193)
}

const product = (axes: [string, unknown[]][]): Record<string, unknown>[] => axes.reduce<Record<string, unknown>[]>((acc, [k, vs]) => acc.flatMap((a) => vs.map((v) => ({ ...a, [k]: v }))), [{}])

/** Applies a budget to a config: passes → epochs over the config's training subset (at least 1). */
function applyBudget(c: RunConfig, b: unknown, field: string, problems: string[]): Budget | null {
  if (!isObj(b)) {
    problems.push(`${field}: expected {"passes": N} or {"epochs": N}, got ${JSON.stringify(b)}`)
    return null
  }
  if ('passes' in b) {
    const p = b.passes
    if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0) {
      problems.push(`${field}.passes: must be a positive number of forward+backward passes, got ${JSON.stringify(p)}`)
      return null
    }
    // The images the budget buys, as few epochs as the configured subset allows, over a subset
    // (a whole number of batches) no larger than the configured one.
    const images = p / passesPerImage(c.trainAttack)
    c.epochs = Math.max(1, Math.ceil(images / c.trainSize - 1e-9))
    c.trainSize = Math.min(c.trainSize, Math.max(c.batchSize, Math.round(images / c.epochs / c.batchSize) * c.batchSize))
    return { passes: p }
  }
  if ('epochs' in b) {
    const e = b.epochs
    if (typeof e !== 'number' || !Number.isInteger(e) || e < 1) {
      problems.push(`${field}.epochs: must be a whole number ≥ 1, got ${JSON.stringify(e)}`)
      return null
    }
    c.epochs = e
    return { epochs: e }
  }
  problems.push(`${field}: expected {"passes": N} or {"epochs": N}, got ${JSON.stringify(b)}`)
  return null
}

export function parseStudy(raw: unknown): Study {
  const problems: string[] = []
  if (!isObj(raw)) throw new StudyError(['the study file must hold a JSON object'])
  const name = typeof raw.name === 'string' && /^[\w.-]+$/.test(raw.name) ? raw.name : (problems.push('name: a name of letters, digits, ".", "_" or "-" is required'), 'study')
  const backend = (raw.backend ?? 'wasm') as StudyBackend
  if (!BACKENDS.includes(backend)) problems.push(`backend: must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(raw.backend)}`)
  const base = raw.base ?? {}
  if (!isObj(base)) problems.push('base: must be an object (a partial run configuration)')
  else for (const k of Object.keys(base)) if (!CONFIG_KEYS.has(k)) problems.push(`base.${k}: not a run configuration field (known: ${[...CONFIG_KEYS].join(', ')})`)
  const grids = raw.grids
  if (!Array.isArray(grids) || grids.length === 0) problems.push('grids: a non-empty list of {"name", "axes"} is required')
  const evalPoints = raw.evalPoints
  if (evalPoints !== undefined && !(typeof evalPoints === 'number' && Number.isInteger(evalPoints) && evalPoints >= 1))
    problems.push(`evalPoints: a whole number ≥ 1, got ${JSON.stringify(evalPoints)}`)
  for (const k of Object.keys(raw)) if (!['name', 'backend', 'base', 'grids', 'evalPoints'].includes(k)) problems.push(`${k}: unknown top-level field (known: name, backend, base, evalPoints, grids)`)
  // Go on to the grids where they can be read, so one message names every problem.
  if (!Array.isArray(grids) || !isObj(base)) throw new StudyError(problems)

  const runs: StudyRun[] = []
  const ids = new Map<string, StudyRun>()
  ;(grids as unknown[]).forEach((g, gi) => {
    const at = `grids[${gi}]`
    if (!isObj(g) || !isObj(g.axes)) return problems.push(`${at}: expected {"name": …, "axes": {…}}`)
    const gridName = typeof g.name === 'string' && g.name ? g.name : `grid${gi}`
    const axes: [string, unknown[]][] = []
    for (const [k, v] of Object.entries(g.axes)) {
      if (!SPECIAL_AXES.has(k) && !CONFIG_KEYS.has(k)) {
        problems.push(`${at}.axes.${k}: unknown axis (known: ${[...SPECIAL_AXES, ...CONFIG_KEYS].join(', ')})`)
        continue
      }
      const list = Array.isArray(v) && !(k === 'schedule' || k === 'epsCurve') ? v : Array.isArray(v) && v.length && (typeof v[0] === 'string' || Array.isArray(v[0])) ? v : [v]
      if (list.length === 0) problems.push(`${at}.axes.${k}: needs at least one value`)
      axes.push([k, list])
    }
    for (const cell of product(axes)) {
      const field = (k: string) => `${at}.axes.${k}=${JSON.stringify(cell[k])}`
      const partial: Record<string, unknown> = { ...(base as Record<string, unknown>) }
      for (const [k, v] of Object.entries(cell)) {
        if (SPECIAL_AXES.has(k)) continue
        partial[k] = (k === 'trainAttack' || k === 'evalAttack') && isObj(v) ? { ...(partial[k] as object), ...v } : v
      }
      const config = mergeConfig(partial as Partial<RunConfig>)
      const before = problems.length
      if (!MODEL_NAMES.includes(config.model)) problems.push(`${field('model')}: unknown model (known: ${MODEL_NAMES.join(', ')})`)
      const sched = curveOf(cell.schedule ?? 'slow-start-fast-decay', PRESETS as Record<PresetName, { points: ControlPoint[] }>, `${at}.axes.schedule`, problems)
      if (sched) for (const p of scheduleProblems(sched.points)) problems.push(`${at}.axes.schedule: ${p}`)
      let epsName = 'custom'
      if ('epsCurve' in cell) {
        const eps = curveOf(cell.epsCurve, EPS_PRESETS as Record<EpsPresetName, { points: ControlPoint[] }>, `${at}.axes.epsCurve`, problems)
        if (eps) {
          for (const p of curveProblems(eps.points, 'ε curve')) problems.push(`${at}.axes.epsCurve: ${p}`)
          config.epsCurve = eps.points
          epsName = eps.name
        }
      } else epsName = JSON.stringify(config.epsCurve) === JSON.stringify(EPS_PRESETS.constant.points) ? 'constant' : 'custom'
      const budget = 'budget' in cell ? applyBudget(config, cell.budget, `${at}.axes.budget`, problems) : null
      const points = typeof g.evalPoints === 'number' ? g.evalPoints : evalPoints
      if (typeof points === 'number') config.evalEvery = Math.max(1, Math.ceil(totalSteps(config) / points))
      if (config.trainSize > TRAIN_SET_SIZE) problems.push(`${field('trainSize')}: at most ${TRAIN_SET_SIZE} training images exist`)
      for (const p of configProblems(config))
        problems.push(
          `${at} (${Object.entries(cell)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(', ')}): ${p}`,
        )
      if (problems.length > before || !sched) continue
      const label =
        Object.entries(cell)
          .map(([k, v]) => `${k}=${slug(v)}`)
          .join(', ') || 'base'
      const id = `${config.model}-${config.init}-s${config.seed}-${hash(JSON.stringify({ config, schedule: sched.points, backend }))}`
      const same = ids.get(id)
      if (same) same.grids.push({ grid: gridName, axes: cell })
      else {
        const run: StudyRun = { id, label, grids: [{ grid: gridName, axes: cell }], config, schedule: sched.points, scheduleName: sched.name, epsCurveName: epsName, budget, backend }
        ids.set(id, run)
        runs.push(run)
      }
    }
  })
  if (problems.length) throw new StudyError(problems)
  return { name, backend, runs }
}
