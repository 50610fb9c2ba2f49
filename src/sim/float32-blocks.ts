/**
 * Fresh Float32Arrays of one size, carved from shared 4 KiB blocks. Every array handed out is new
 * and never reused, so callers may keep it; but a `new Float32Array(n)` above 64 bytes gets its own
 * off-heap backing store, which is slow to allocate and contends across worker threads
 * (docs/design.md, "Findings"), while a view into a block is an ordinary heap object.
 * A kept array pins at most its 4 KiB block.
 */
const BLOCK_BYTES = 4096;

export class Float32Blocks {
  private block: ArrayBuffer | null = null;
  private offset = 0;
  private readonly bytes: number;

  constructor(readonly size: number) {
    this.bytes = size * 4;
  }

  next(): Float32Array {
    // Big observations gain nothing from sharing a block.
    if (this.bytes > BLOCK_BYTES / 4) return new Float32Array(this.size);
    if (!this.block || this.offset + this.bytes > BLOCK_BYTES) {
      this.block = new ArrayBuffer(BLOCK_BYTES);
      this.offset = 0;
    }
    const a = new Float32Array(this.block, this.offset, this.size);
    this.offset += this.bytes;
    return a;
  }
}
