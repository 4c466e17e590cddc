// A tensor is a GPU buffer of f32 values with a shape. Layout everywhere in viVID:
//   images / activations  NHWC  [batch, height, width, channels]
//   conv weights          HWIO  [kh, kw, in, out]
//   dense weights         [in, out]
// Buffers come from the runtime's pool and go back to it on dispose().

import type { Runtime } from './runtime.ts';

export type Shape = readonly number[];

/** A tensor's values on the host (weights files, checkpoints, snapshots). */
export interface HostTensor {
  shape: Shape;
  data: Float32Array;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`bad shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

export class Tensor {
  readonly size: number;
  private alive = true;

  constructor(
    readonly runtime: Runtime,
    readonly shape: Shape,
    private gpuBuffer: GPUBuffer,
  ) {
    this.size = sizeOf(shape);
  }

  get buffer(): GPUBuffer {
    if (!this.alive) throw new Error(`tensor [${this.shape.join(', ')}] used after dispose()`);
    return this.gpuBuffer;
  }

  get disposed(): boolean {
    return !this.alive;
  }

  /** Read the values back to the CPU (submits pending work). */
  read(): Promise<Float32Array> {
    return this.runtime.read(this);
  }

  /** A tensor sharing this buffer with another shape of the same size (no copy; not owning). */
  reshape(shape: Shape): Tensor {
    if (sizeOf(shape) !== this.size) throw new Error(`cannot reshape [${this.shape}] to [${shape}]`);
    return new TensorView(this, shape);
  }

  dispose(): void {
    if (!this.alive) return;
    this.alive = false;
    this.runtime.pool.release(this.gpuBuffer);
  }
}

/** A reshaped view: disposing it does nothing; the base tensor owns the buffer. */
class TensorView extends Tensor {
  constructor(
    private base: Tensor,
    shape: Shape,
  ) {
    super(base.runtime, shape, base.buffer);
  }
  override get buffer(): GPUBuffer {
    return this.base.buffer;
  }
  override get disposed(): boolean {
    return this.base.disposed;
  }
  override dispose(): void {}
}
