// The runtime owns a device, a buffer pool, the pipeline cache and the command batch:
// dispatches are recorded into one command encoder (one compute pass) and submitted together
// on flush() or read(). Uniform values of a batch live in one arena buffer, written once per
// submit at 256-byte-aligned offsets.

import { acquireGpu, type Backend, type Gpu } from './device.ts';
import { BufferPool } from './pool.ts';
import { compileKernel, kernelKey, packUniform, type CompiledKernel, type KernelSpec } from './kernel.ts';
import { Tensor, sizeOf, type Shape } from './tensor.ts';

const ARENA_BYTES = 1 << 18;

export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuError';
  }
}

export interface Dispatch {
  /** Storage bindings (and uniform-array windows of tensors) by their WGSL variable names. */
  bind: Record<string, Tensor | GPUBuffer>;
  /** Byte offsets of uniform-array windows (`var<uniform> w: array<vec4<f32>, N>`, N from the
   *  WGSL) into their tensors: multiples of minUniformBufferOffsetAlignment; default 0. */
  offsets?: Record<string, number>;
  /** Uniform struct fields by name. */
  uniforms?: Record<string, number>;
  workgroups: readonly [number, number?, number?];
}

export class Runtime {
  readonly pool: BufferPool;
  private kernels = new Map<string, CompiledKernel>();
  private modules = new Map<string, GPUShaderModule>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private arena: GPUBuffer;
  private arenaData = new ArrayBuffer(ARENA_BYTES);
  private arenaView = new DataView(this.arenaData);
  private arenaUsed = 0;
  private align: number;
  private pendingError: string | null = null;
  private lost: string | null = null;
  private lastKernels: string[] = [];
  /** Dispatches recorded since creation (a cheap counter for tests and profiling). */
  dispatches = 0;
  /** Tests set this: every new tensor from empty() is filled with NaN, so a kernel that
   *  leaves an output element unwritten is caught. */
  poisonAllocations = false;

  private constructor(readonly gpu: Gpu) {
    const device = gpu.device;
    this.pool = new BufferPool(device);
    this.align = device.limits.minUniformBufferOffsetAlignment;
    this.arena = device.createBuffer({ size: ARENA_BYTES, usage: 0x40 | 0x08 /* UNIFORM | COPY_DST */, label: 'uniform arena' });
    device.lost.then((info) => {
      this.lost = `GPU device lost (${info.reason}): ${info.message}`;
    });
    device.addEventListener('uncapturederror', (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.pendingError ??= `${e.constructor.name}: ${e.message} (recent kernels: ${this.lastKernels.join(', ')})`;
    });
  }

  static async create(backend?: Backend): Promise<Runtime> {
    return new Runtime(await acquireGpu(backend));
  }

  /** A runtime on a device acquired elsewhere (a page that already holds a GPUDevice). */
  static fromGpu(gpu: Gpu): Runtime {
    return new Runtime(gpu);
  }

  get device(): GPUDevice {
    return this.gpu.device;
  }

  get limits(): GPUSupportedLimits {
    return this.gpu.device.limits;
  }

  private check(): void {
    if (this.lost) throw new GpuError(this.lost);
    if (this.pendingError) {
      const e = this.pendingError;
      this.pendingError = null;
      throw new GpuError(e);
    }
  }

  /** Compile (once) and return a kernel's pipeline; compile errors name the kernel. */
  kernel(spec: KernelSpec): CompiledKernel {
    const key = kernelKey(spec);
    let k = this.kernels.get(key);
    if (!k) {
      try {
        k = compileKernel(this.device, spec, this.modules);
      } catch (e) {
        throw new GpuError(`kernel ${key}: ${(e as Error).message}`);
      }
      this.kernels.set(key, k);
    }
    return k;
  }

  /** Compile a kernel and wait for the driver's verdict: shader errors become exceptions here. */
  async compileChecked(spec: KernelSpec): Promise<CompiledKernel> {
    this.device.pushErrorScope('validation');
    const k = this.kernel(spec);
    const err = await this.device.popErrorScope();
    if (err) {
      this.kernels.delete(k.key);
      const info = await this.modules.get(spec.shader)?.getCompilationInfo();
      const msgs = info?.messages.map((m) => `${spec.shader}.wgsl:${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`).join('\n');
      throw new GpuError(`kernel ${k.key} failed to compile: ${err.message}${msgs ? '\n' + msgs : ''}`);
    }
    return k;
  }

  empty(shape: Shape, label?: string): Tensor {
    const n = sizeOf(shape);
    const t = new Tensor(this, shape, this.pool.acquire(n * 4, label));
    if (this.poisonAllocations && n) this.write(t, new Float32Array(n).fill(NaN));
    return t;
  }

  tensor(shape: Shape, data: ArrayLike<number>): Tensor {
    const n = sizeOf(shape);
    if (data.length !== n) throw new Error(`tensor [${shape.join(', ')}] needs ${n} values, got ${data.length}`);
    const t = this.empty(shape);
    this.write(t, data instanceof Float32Array ? data : Float32Array.from(data));
    return t;
  }

  /** Overwrite a tensor's contents from the CPU (queued before the next submit's commands). */
  write(t: Tensor, data: Float32Array): void {
    if (data.length !== t.size) throw new Error(`write: tensor has ${t.size} values, got ${data.length}`);
    // queue.writeBuffer runs before commands not yet submitted, and a pooled buffer may still be
    // read by them: submit what was recorded first.
    this.flush();
    this.device.queue.writeBuffer(t.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Record one dispatch into the current batch. */
  run(spec: KernelSpec, d: Dispatch): void {
    this.check();
    const k = this.kernel(spec);
    let uniformOffset = -1;
    if (k.uniform) {
      const bytes = Math.ceil(k.uniform.size! / this.align) * this.align;
      if (this.arenaUsed + bytes > ARENA_BYTES) this.flush();
      uniformOffset = this.arenaUsed;
      packUniform(k, d.uniforms ?? {}, this.arenaView, uniformOffset);
      this.arenaUsed += bytes;
    } else if (d.uniforms && Object.keys(d.uniforms).length) {
      throw new Error(`${k.key}: uniforms given but the entry point reads none`);
    }
    const entries: GPUBindGroupEntry[] = k.bindings.map((b) => {
      if (b.kind === 'uniform' && !b.tensor) return { binding: b.binding, resource: { buffer: this.arena, offset: uniformOffset, size: b.size! } };
      const t = d.bind[b.name];
      if (!t) throw new Error(`${k.key}: binding '${b.name}' not given (have ${Object.keys(d.bind).join(', ')})`);
      if (b.tensor) {
        const buffer = t instanceof Tensor ? t.buffer : t;
        const offset = d.offsets?.[b.name] ?? 0;
        if (offset % this.align !== 0 || offset + b.size! > buffer.size) {
          throw new Error(`${k.key}: uniform window '${b.name}' at ${offset} (+${b.size} bytes) misaligned or past the buffer (${buffer.size} bytes)`);
        }
        return { binding: b.binding, resource: { buffer, offset, size: b.size! } };
      }
      if (d.offsets?.[b.name] !== undefined) throw new Error(`${k.key}: storage binding '${b.name}' takes a whole tensor, not an offset`);
      return { binding: b.binding, resource: { buffer: t instanceof Tensor ? t.buffer : t } };
    });
    for (const name of Object.keys(d.bind)) {
      if (!k.bindings.some((b) => b.name === name)) throw new Error(`${k.key}: the WGSL entry point has no binding '${name}'`);
    }
    const [x, y = 1, z = 1] = d.workgroups;
    const maxWg = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxWg || y > maxWg || z > maxWg) throw new Error(`${k.key}: dispatch [${x}, ${y}, ${z}] exceeds ${maxWg} workgroups per dimension`);
    if (x === 0 || y === 0 || z === 0) return;
    const group = this.device.createBindGroup({ layout: k.layout, entries, label: k.key });
    if (!this.pass) {
      // A copy may have ended the previous pass: keep recording into the same encoder.
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
    }
    this.pass.setPipeline(k.pipeline);
    this.pass.setBindGroup(0, group);
    this.pass.dispatchWorkgroups(x, y, z);
    this.dispatches++;
    this.lastKernels.push(k.key);
    if (this.lastKernels.length > 4) this.lastKernels.shift();
  }

  /** Record a buffer copy (ends the current compute pass). */
  copy(src: Tensor, dst: Tensor, count = src.size, srcOffset = 0, dstOffset = 0): void {
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(src.buffer, srcOffset * 4, dst.buffer, dstOffset * 4, count * 4);
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Submit everything recorded so far. */
  flush(): void {
    this.check();
    this.endPass();
    if (!this.encoder) return;
    if (this.arenaUsed) this.device.queue.writeBuffer(this.arena, 0, this.arenaData, 0, this.arenaUsed);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.arenaUsed = 0;
  }

  /** Wait until the GPU finished all submitted work; surfaces asynchronous errors. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.check();
  }

  async read(t: Tensor): Promise<Float32Array> {
    const bytes = t.size * 4;
    const staging = this.device.createBuffer({ size: Math.max(4, bytes), usage: 0x01 | 0x08 /* MAP_READ | COPY_DST */ });
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    if (bytes) this.encoder.copyBufferToBuffer(t.buffer, 0, staging, 0, bytes);
    this.flush();
    try {
      await staging.mapAsync(1 /* READ */);
    } catch (e) {
      this.check();
      throw new GpuError(`readback failed: ${(e as Error).message}`);
    }
    this.check();
    const out = new Float32Array(staging.getMappedRange(0, Math.max(4, bytes)).slice(0, bytes));
    staging.unmap();
    staging.destroy();
    return out;
  }

  destroy(): void {
    this.flush();
    this.pool.trim();
    this.device.destroy();
    this.gpu.release?.();
  }
}
