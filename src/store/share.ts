// Config + curves ⇄ URL hash, readable by a person (like TF Playground's state hash):
// `#epochs=2&trainAttack.eps255=8&…&schedule=0:0,0.5:1,0.7:0.1,1:0&eps=0:0,0.3:1,1:1`. Only
// fields that differ from the defaults are written (the LR schedule always is); decoding starts
// from the defaults and reports what it ignored or repaired.

import { DEFAULT_CONFIG, EVAL_ATTACK_KINDS, MODEL_INITS, MODEL_NAMES, TRAIN_ATTACK_KINDS, configProblems, type RunConfig } from '../core/config'
import { curveProblems, DEFAULT_SCHEDULE, normalizeSchedule, scheduleProblems, type ControlPoint } from '../core/schedule'

type Leaf = number | boolean | string
const ENUMS: Record<string, readonly string[]> = {
  model: MODEL_NAMES,
  init: MODEL_INITS,
  'trainAttack.kind': TRAIN_ATTACK_KINDS,
  'evalAttack.kind': EVAL_ATTACK_KINDS,
}
// Curves travel as `t:y,t:y,…` under their own keys (`eps` is config.epsCurve), not as flattened fields.
const CURVE_KEYS = ['schedule', 'eps']

/** Flattens a config's scalar settings into dotted paths → leaf values, in declaration order (curves are not leaves). */
export function flattenConfig(c: RunConfig): [string, Leaf][] {
  const out: [string, Leaf][] = []
  for (const [k, v] of Object.entries(c)) {
    if (Array.isArray(v)) continue
    if (v !== null && typeof v === 'object') for (const [k2, v2] of Object.entries(v)) out.push([`${k}.${k2}`, v2 as Leaf])
    else out.push([k, v as Leaf])
  }
  return out
}

const num = (v: number) => String(Number(v.toPrecision(12)))

/** Keeps URL-safe punctuation readable in a fragment. */
const enc = (s: string) => encodeURIComponent(s).replace(/%3A/g, ':').replace(/%2C/g, ',')
const curveText = (pts: readonly ControlPoint[]) => pts.map((p) => `${num(p.t)}:${num(p.y)}`).join(',')

export function encodeShareHash(config: RunConfig, schedule: readonly ControlPoint[]): string {
  const defaults = new Map(flattenConfig(DEFAULT_CONFIG))
  const parts: string[] = ['v=1']
  for (const [k, v] of flattenConfig(config)) if (defaults.get(k) !== v) parts.push(`${k}=${enc(typeof v === 'number' ? num(v) : String(v))}`)
  parts.push(`schedule=${enc(curveText(schedule))}`)
  if (curveText(config.epsCurve) !== curveText(DEFAULT_CONFIG.epsCurve)) parts.push(`eps=${enc(curveText(config.epsCurve))}`)
  return `#${parts.join('&')}`
}

export interface DecodedShare {
  config: RunConfig
  schedule: ControlPoint[]
  problems: string[] // what was ignored or is invalid; the returned values are still usable
}

/** Decodes a share hash; null when the hash holds no advtune state at all. */
export function decodeShareHash(hash: string): DecodedShare | null {
  const body = hash.replace(/^#/, '')
  if (!body) return null
  const params = new Map<string, string>()
  for (const part of body.split('&')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    try {
      params.set(decodeURIComponent(part.slice(0, eq)), decodeURIComponent(part.slice(eq + 1)))
    } catch {
      continue // malformed %-escape: ignore that field
    }
  }
  if (!params.has('v') && !params.has('schedule')) return null
  const problems: string[] = []
  const config = structuredClone(DEFAULT_CONFIG)
  const defaults = new Map(flattenConfig(DEFAULT_CONFIG))
  for (const [k, raw] of params) {
    if (k === 'v' || CURVE_KEYS.includes(k)) continue
    if (!defaults.has(k)) {
      problems.push(`Unknown setting "${k}" in the link was ignored.`)
      continue
    }
    const value = parseLeaf(k, raw, defaults.get(k)!)
    if (value === undefined) problems.push(`The link's value "${raw}" for ${k} is not valid and was ignored.`)
    else setPath(config, k, value)
  }
  const schedule = decodeCurve(params.get('schedule'), 'schedule', scheduleProblems, problems) ?? [...DEFAULT_SCHEDULE]
  config.epsCurve = decodeCurve(params.get('eps'), 'ε curve', (pts) => curveProblems(pts, 'ε curve'), problems) ?? config.epsCurve
  problems.push(...configProblems(config))
  return { config, schedule, problems }
}

/** A curve from `t:y,t:y,…`: as written when usable, repaired when it can be, else null (with a problem). */
function decodeCurve(raw: string | undefined, what: string, check: (pts: ControlPoint[]) => string[], problems: string[]): ControlPoint[] | null {
  if (raw === undefined) return null
  const pts = raw.split(',').map((s) => {
    const [t, y] = s.split(':').map(Number)
    return { t, y }
  })
  const found = check(pts)
  if (found.length === 0) return pts
  const fixed = normalizeSchedule(pts)
  if (check(fixed).length === 0) {
    problems.push(`The link's ${what} was repaired: ${found.join(' ')}`)
    return fixed
  }
  problems.push(`The link's ${what} is unusable and was ignored: ${found.join(' ')}`)
  return null
}

function parseLeaf(key: string, raw: string, def: Leaf): Leaf | undefined {
  if (typeof def === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : undefined
  if (typeof def === 'number') {
    const v = Number(raw)
    return raw.trim() !== '' && Number.isFinite(v) ? v : undefined
  }
  const allowed = ENUMS[key]
  return allowed && !allowed.includes(raw) ? undefined : raw
}

function setPath(obj: object, path: string, value: Leaf) {
  const keys = path.split('.')
  let o = obj as Record<string, unknown>
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>
  o[keys[keys.length - 1]] = value
}
