// viVID for web pages (`vivid-sr/web`): the same WGSL kernels, fused inference generator and
// tiling as the Node engine, on a WebGPU device from navigator.gpu (or one the host page passes
// in). Nothing here imports Node modules; the kernels' WGSL travels inside the bundle as text.
//
//   const up = await createUpscaler(undefined, { weightsUrl: 'model.safetensors' });
//   const big = await up.upscale(imageData, { onProgress: (d, n) => …, signal });
//   up.dispose();
//
// Video: createStabilizer() runs the temporal mode (src/video/temporal.ts) on the SR frames,
// one call per frame in order, with the frame's LR input next to it.

import { GpuUnavailableError } from './graph/device.ts';
import { Runtime } from './graph/runtime.ts';
import { abortError, upscaleTiled } from './inference/tiling.ts';
import type { RgbImage } from './io/image.ts';
import { parseGeneratorFile, type LoadedGenerator } from './models/generator-file.ts';
import { InferenceGenerator } from './models/inference.ts';
import { DEFAULT_TEMPORAL, TemporalStabilizer, temporalOptions, type TemporalOptions } from './video/temporal.ts';

export { GpuUnavailableError, DEFAULT_TEMPORAL, type TemporalOptions };

export interface UpscalerOptions {
  /** URL of a viVID generator file (safetensors with `vivid.config` metadata). */
  weightsUrl: string;
  /** Core tile size in LR pixels (default: the engine's, as large as the adapter allows). */
  tileSize?: number;
  /** Called with (bytes loaded, total bytes or 0 when unknown) while the weights download. */
  onWeightsProgress?: (loaded: number, total: number) => void;
}

export interface UpscaleCallOptions {
  /** (work done, work in all), in FLOPs: after each conv of the low-resolution part and the tail's bands. */
  onProgress?: (done: number, total: number) => void;
  /** Aborting rejects with an AbortError after the conv in flight (or once the last one is done). */
  signal?: AbortSignal;
  /** Overrides the upscaler's tile size for this call. */
  tileSize?: number;
}

export interface Upscaler {
  upscale(image: ImageData, opts?: UpscaleCallOptions): Promise<ImageData>;
  adapterInfo: GPUAdapterInfo;
  /** The loaded generator: config, source and file metadata. */
  model: Pick<LoadedGenerator, 'config' | 'source' | 'metadata'>;
  dispose(): void;
}

async function fetchBytes(url: string, onProgress?: (loaded: number, total: number) => void): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load weights ${url}: HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length') ?? 0);
  if (!res.body || !onProgress) return new Uint8Array(await res.arrayBuffer());
  const parts: Uint8Array[] = [];
  let loaded = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    onProgress(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** ImageData (RGBA bytes) → the engine's float RGBA image. */
function toRgba(image: ImageData): RgbImage {
  const data = new Float32Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = image.data[i]! / 255;
  return { width: image.width, height: image.height, channels: 4, data };
}

function toImageData(img: RgbImage): ImageData {
  const out = new ImageData(img.width, img.height);
  // The Node side's rule (quantize in src/io/image.ts): round(clamp(v, 0, 1) · 255).
  for (let i = 0; i < img.data.length; i++) out.data[i] = Math.round(Math.min(1, Math.max(0, img.data[i]!)) * 255);
  return out;
}

/** A runtime on a device the host page passed in keeps that device alive: only our buffers go. */
function release(rt: Runtime, borrowed: boolean): void {
  if (borrowed) {
    rt.flush();
    rt.pool.trim();
  } else rt.destroy();
}

async function browserRuntime(device: GPUDevice | undefined): Promise<Runtime> {
  if (!device) return Runtime.create('browser');
  const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
  if (!gpu) throw new GpuUnavailableError('navigator.gpu is missing: this browser has no WebGPU.');
  return Runtime.fromGpu({ device, backend: 'browser', info: device.adapterInfo, instance: gpu });
}

export async function createUpscaler(device: GPUDevice | undefined, opts: UpscalerOptions): Promise<Upscaler> {
  const borrowed = device !== undefined;
  const [rt, bytes] = await Promise.all([browserRuntime(device), fetchBytes(opts.weightsUrl, opts.onWeightsProgress)]);
  let model: InferenceGenerator;
  let loaded: LoadedGenerator;
  try {
    loaded = parseGeneratorFile(bytes, opts.weightsUrl);
    model = new InferenceGenerator(rt, loaded.config, loaded.weights);
  } catch (e) {
    if (!borrowed) rt.destroy();
    throw e;
  }
  let busy = false;
  return {
    adapterInfo: rt.gpu.info,
    model: { config: loaded.config, source: loaded.source, metadata: loaded.metadata },
    async upscale(image, call = {}) {
      if (call.signal?.aborted) throw abortError(call.signal);
      // One runtime records one command batch at a time: interleaved runs would mix tiles.
      if (busy) throw new Error('an upscale is already running on this upscaler');
      busy = true;
      try {
        const tileSize = call.tileSize ?? opts.tileSize;
        const out = await upscaleTiled(rt, model, toRgba(image), { tileSize, onProgress: call.onProgress, signal: call.signal });
        // upscaleTiled checks after each conv; a cancel after the last one lands here.
        if (call.signal?.aborted) throw abortError(call.signal);
        return toImageData(out);
      } finally {
        busy = false;
      }
    },
    dispose() {
      model.dispose();
      release(rt, borrowed);
    },
  };
}

export interface StabilizedImage {
  image: ImageData;
  /** True when this frame restarted the blend (the first frame, or a scene cut). */
  reset: boolean;
  /** Mean LR warp error against the previous frame (luma, 0..255); NaN for the first frame. */
  warpError: number;
}

export interface Stabilizer {
  /** Stabilise `sr`, the upscaled `lr`, against the frames processed before (in order). */
  process(lr: ImageData, sr: ImageData): Promise<StabilizedImage>;
  /** Forget the previous frame: the next one starts a new scene. */
  reset(): void;
  dispose(): void;
}

export async function createStabilizer(device: GPUDevice | undefined, opts: Partial<TemporalOptions> = {}): Promise<Stabilizer> {
  // Checked before a device is requested: a bad option costs nothing.
  const options = temporalOptions(opts);
  const rt = await browserRuntime(device);
  const st = new TemporalStabilizer(rt, options);
  return {
    async process(lr, sr) {
      const r = await st.process(toRgba(lr), toRgba(sr));
      return { image: toImageData(r.image), reset: r.reset, warpError: r.warpError };
    },
    reset: () => st.reset(),
    dispose() {
      st.dispose();
      release(rt, device !== undefined);
    },
  };
}
