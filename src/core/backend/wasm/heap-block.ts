// A block of the tfjs WASM heap that advtune's kernels own (scratch, transformed filters,
// stacks), allocated with tfjs's own malloc so that nothing else ever uses it.

export type Heap = { _malloc(bytes: number): number; _free(ptr: number): void }

/** Shadow stack of each instance of a native module (it uses ~1 KiB). */
export const STACK_BYTES = 64 * 1024

/** A growable block of tfjs heap owned by us (scratch, transformed filters). */
export class HeapBlock {
  ptr = 0
  private bytes = 0
  constructor(private readonly heap: Heap) {}
  at(bytes: number): number {
    if (bytes > this.bytes) {
      if (this.ptr) this.heap._free(this.ptr)
      this.ptr = this.heap._malloc(bytes)
      if (!this.ptr) throw new Error(`Winograd: the WASM heap could not give ${bytes} bytes`)
      this.bytes = bytes
    }
    return this.ptr
  }
  free(): void {
    if (this.ptr) this.heap._free(this.ptr)
    this.ptr = this.bytes = 0
  }
}
