// The one error type the setup throws on purpose: what went wrong, naming the file, and what the
// person running it can do about it. The CLI prints both and exits 1.

export class SetupError extends Error {
  readonly hint: string

  constructor(message: string, hint: string) {
    super(message)
    this.name = 'SetupError'
    this.hint = hint
  }
}

/** Log sink for progress lines; the CLI passes console.log, tests a collector or a no-op. */
export type Log = (line: string) => void

export const silent: Log = () => {}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** "1.2 MB" style sizes for progress lines. */
export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`
}
