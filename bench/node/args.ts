// Tiny `--key value` / `--flag` parser for the benchmark scripts (no dependency for a dozen flags).

export type Args = Record<string, string | true>

export function parseArgs(argv: string[]): Args {
  const out: Args = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`)
    const eq = a.indexOf('=')
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1)
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[a.slice(2)] = argv[++i]
    else out[a.slice(2)] = true
  }
  return out
}

export const num = (a: Args, key: string, dflt: number): number => {
  const v = a[key]
  if (v === undefined) return dflt
  const n = Number(v)
  if (!Number.isFinite(n)) throw new Error(`--${key} needs a number, got ${String(v)}`)
  return n
}

export const str = (a: Args, key: string, dflt: string): string => (typeof a[key] === 'string' ? (a[key] as string) : dflt)

export const list = (a: Args, key: string, dflt: string[]): string[] => (typeof a[key] === 'string' ? (a[key] as string).split(',').filter(Boolean) : dflt)
