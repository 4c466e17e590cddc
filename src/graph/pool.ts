// Reuses GPU buffers: a freed buffer goes into a free list keyed by its byte size and is
// handed out again for the next request of that size (sizes are rounded up to a bucket so
// that near-equal shapes share buffers).

const USAGE = GPUBufferUsageFlags();

function GPUBufferUsageFlags(): number {
  // GPUBufferUsage is a global only once the Dawn globals are installed; the numbers are
  // fixed by the WebGPU spec.
  const STORAGE = 0x80, COPY_SRC = 0x04, COPY_DST = 0x08, UNIFORM = 0x40;
  return STORAGE | COPY_SRC | COPY_DST | UNIFORM; // UNIFORM: a tensor window bound as var<uniform> array
}

/** Round up to 256 bytes below 64 KiB, then to 1/8 of the next power of two. */
export function bucketSize(bytes: number): number {
  const b = Math.max(256, bytes);
  if (b <= 65536) return Math.ceil(b / 256) * 256;
  const step = 2 ** (Math.ceil(Math.log2(b)) - 3);
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  /** Buffers currently handed out (live tensors; a leak test counts them). */
  live = 0;
  /** Bytes currently handed out and bytes held in free lists. */
  inUse = 0;
  held = 0;
  peak = 0;

  constructor(private device: GPUDevice) {}

  acquire(bytes: number, label?: string): GPUBuffer {
    const size = bucketSize(bytes);
    const list = this.free.get(size);
    let buffer = list?.pop();
    if (buffer) this.held -= size;
    else buffer = this.device.createBuffer({ size, usage: USAGE, label });
    this.inUse += size;
    this.live++;
    this.peak = Math.max(this.peak, this.inUse + this.held);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    this.inUse -= size;
    this.live--;
    this.held += size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buffer);
  }

  /** Destroy every pooled (free) buffer; call only after pending work was submitted. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.held = 0;
  }
}
