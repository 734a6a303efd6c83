// The one error type every checkpoint reader throws, so callers (UI, weights loader) can show its
// message as is and tell a bad file apart from a bug.

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CheckpointError'
  }
}

/** Message used wherever input ends early: a cut download is the common cause. */
export function truncated(where: string): CheckpointError {
  return new CheckpointError(`the checkpoint is truncated or corrupt: ${where}`)
}
