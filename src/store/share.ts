// Config + schedule ⇄ URL hash, readable by a person (like TF Playground's state hash):
// `#epochs=2&trainAttack.eps255=8&…&schedule=0:0,0.5:1,0.7:0.1,1:0`. Only fields that differ
// from the defaults are written; decoding starts from the defaults and reports what it ignored.

import { DEFAULT_CONFIG, MODEL_NAMES, configProblems, type RunConfig } from '../core/config'
import { DEFAULT_SCHEDULE, normalizeSchedule, scheduleProblems, type ControlPoint } from '../core/schedule'

type Leaf = number | boolean | string
const ENUMS: Record<string, readonly string[]> = {
  model: MODEL_NAMES,
  'trainAttack.kind': ['pgd', 'fgsm-rs', 'none'],
  'evalAttack.kind': ['pgd', 'fgsm'],
}

/** Flattens a config into dotted paths → leaf values, in declaration order. */
export function flattenConfig(c: RunConfig): [string, Leaf][] {
  const out: [string, Leaf][] = []
  for (const [k, v] of Object.entries(c)) {
    if (v !== null && typeof v === 'object') for (const [k2, v2] of Object.entries(v)) out.push([`${k}.${k2}`, v2 as Leaf])
    else out.push([k, v as Leaf])
  }
  return out
}

const num = (v: number) => String(Number(v.toPrecision(12)))

/** Keeps URL-safe punctuation readable in a fragment. */
const enc = (s: string) => encodeURIComponent(s).replace(/%3A/g, ':').replace(/%2C/g, ',')

export function encodeShareHash(config: RunConfig, schedule: readonly ControlPoint[]): string {
  const defaults = new Map(flattenConfig(DEFAULT_CONFIG))
  const parts: string[] = ['v=1']
  for (const [k, v] of flattenConfig(config)) if (defaults.get(k) !== v) parts.push(`${k}=${enc(typeof v === 'number' ? num(v) : String(v))}`)
  parts.push(`schedule=${enc(schedule.map((p) => `${num(p.t)}:${num(p.y)}`).join(','))}`)
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
    if (k === 'v' || k === 'schedule') continue
    if (!defaults.has(k)) {
      problems.push(`Unknown setting "${k}" in the link was ignored.`)
      continue
    }
    const value = parseLeaf(k, raw, defaults.get(k)!)
    if (value === undefined) problems.push(`The link's value "${raw}" for ${k} is not valid and was ignored.`)
    else setPath(config, k, value)
  }
  problems.push(...configProblems(config))
  let schedule = [...DEFAULT_SCHEDULE]
  const rawSchedule = params.get('schedule')
  if (rawSchedule !== undefined) {
    const pts = rawSchedule.split(',').map((s) => {
      const [t, y] = s.split(':').map(Number)
      return { t, y }
    })
    const problemsHere = scheduleProblems(pts)
    if (problemsHere.length === 0) schedule = pts
    else {
      const fixed = normalizeSchedule(pts)
      if (scheduleProblems(fixed).length === 0) {
        schedule = fixed
        problems.push('The link\'s schedule was repaired: ' + problemsHere.join(' '))
      } else problems.push('The link\'s schedule is unusable and was ignored: ' + problemsHere.join(' '))
    }
  }
  return { config, schedule, problems }
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
