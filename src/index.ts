// viVID for Node (`import … from 'vivid-sr'`). `upscale()` is the one call most users need: it
// takes an image as { width, height, data } (RGB or RGBA, 8-bit or float), picks a model,
// creates the WebGPU runtime on first use and keeps it and the loaded models for later calls.
// The rest is for callers who want control: models and runtimes by hand, tiled inference,
// image files, quality metrics. README.md ("The API") says what each export is for; web pages
// import `vivid-sr/web` (src/web.ts) instead.

import { Runtime } from './graph/runtime.ts';
import { backendFromEnv, isNodeBackend, type Backend } from './graph/device.ts';
import { abortError, checkTileOptions, upscaleTiled } from './inference/tiling.ts';
import { quantize, type RgbImage } from './io/image.ts';
import { InferenceGenerator } from './models/inference.ts';
import { builtinModels, loadGenerator, WEIGHTS_DIR, type LoadedGenerator } from './models/load.ts';
import { isPytorchArch, type PytorchArch } from './models/pytorch-import.ts';
import { TemporalStabilizer, temporalOptions, type TemporalOptions } from './video/temporal.ts';

export { Runtime, GpuError } from './graph/runtime.ts';
export { GpuUnavailableError, type Backend } from './graph/device.ts';
export type { GeneratorConfig } from './models/generator.ts';
export { InferenceGenerator } from './models/inference.ts';
export { loadGenerator, builtinModels, parseGeneratorFile, exportOnnx, type LoadedGenerator } from './models/load.ts';
export { generatorToOnnx, toNchw, fromNchw, type OnnxExportOptions } from './models/onnx-export.ts';
export type { PytorchArch } from './models/pytorch-import.ts';
export { upscaleTiled, type TileOptions } from './inference/tiling.ts';
export { evaluate, type EvalReport, type ImageResult, type UpscaleFn } from './eval/evaluate.ts';
export { readImage, writeImage, decodeImage, encodeImage, probeImage, DEFAULT_MAX_PIXELS, type RgbImage, type ImageFormat, type DecodeOptions, type EncodeOptions } from './io/image.ts';
export { imresize } from './data/resize.ts';
export { psnr, ssim } from './metrics/quality.ts';
export { DEFAULT_TEMPORAL, type TemporalOptions } from './video/temporal.ts';

export type PixelData = Uint8Array | Uint8ClampedArray | Uint16Array | Float32Array;

/** An image as browsers' ImageData and most decoders hand it out: interleaved RGB or RGBA. */
export interface ImageLike<D extends PixelData = PixelData> {
  width: number;
  height: number;
  /** 0..255 for Uint8Array / Uint8ClampedArray, 0..65535 for Uint16Array, 0..1 (finite) for Float32Array. */
  data: D;
}

export interface UpscaleOptions {
  /** Built-in name (weights/*.safetensors), a .safetensors path or a PyTorch .pth path. Default: defaultModel(). */
  model?: string;
  /** PyTorch checkpoints only: override the detected architecture. */
  arch?: PytorchArch;
  /** Core size of the low-resolution regions in LR pixels (default: as large as the adapter
   *  allows — the whole image when it fits). */
  tileSize?: number;
  /** LR pixels of context per region side (default: the receptive field, which makes tiling exact). */
  overlap?: number;
  /** Bytes the largest GPU buffer may take (default and ceiling: the adapter's storage binding
   *  limit); smaller trades speed for memory. */
  maxBufferBytes?: number;
  /** Called with (work done, work in all), in FLOPs: done / total is the fraction done. Called
   *  after each conv (of the low-resolution part, and of each band of the upsampling tail). */
  onProgress?: (done: number, total: number) => void;
  /** Aborting rejects with an AbortError after the conv in flight; GPU memory of the run is freed. */
  signal?: AbortSignal;
  backend?: Backend;
}

/** The model used when none is named: the shipped default (builtinModels() lists it first). */
export function defaultModel(): string {
  const shipped = builtinModels();
  if (!shipped.length) throw new Error(`no model given and none shipped in ${WEIGHTS_DIR}: pass --model (or { model }) with a .safetensors or PyTorch .pth generator`);
  return shipped[0]!;
}

// ---- shared runtime and model cache ----------------------------------------------------------

const runtimes = new Map<string, Promise<Runtime>>();
const models = new Map<string, Promise<{ model: InferenceGenerator; info: LoadedGenerator }>>();

/** The shared runtime for a backend, created on first use. */
export function getRuntime(backend?: Backend): Promise<Runtime> {
  const key = backend ?? backendFromEnv();
  let rt = runtimes.get(key);
  if (!rt) {
    rt = Runtime.create(key);
    runtimes.set(key, rt);
    rt.catch(() => runtimes.delete(key)); // let a later call retry
  }
  return rt;
}

/** Load (once per runtime) and return a model ready for inference. */
export function getModel(spec: string = defaultModel(), opts: { arch?: PytorchArch; backend?: Backend } = {}): Promise<{ model: InferenceGenerator; info: LoadedGenerator }> {
  const backend = opts.backend ?? backendFromEnv();
  const key = `${backend}\0${spec}\0${opts.arch ?? ''}`;
  let entry = models.get(key);
  if (!entry) {
    entry = (async () => {
      const info = loadGenerator(spec, { arch: opts.arch });
      const rt = await getRuntime(backend);
      return { model: new InferenceGenerator(rt, info.config, info.weights), info };
    })();
    models.set(key, entry);
    entry.catch(() => models.delete(key));
  }
  return entry;
}

/** Free every cached model and runtime (a CLI calls this before exiting). */
export async function shutdown(): Promise<void> {
  const ms = [...models.values()];
  const rts = [...runtimes.values()];
  models.clear();
  runtimes.clear();
  for (const m of ms) await m.then((x) => x.model.dispose(), () => undefined);
  for (const r of rts) await r.then((rt) => rt.destroy(), () => undefined);
}

// ---- pixel conversions -------------------------------------------------------------------------

/** The largest sample value of each integer pixel type (Float32Array: 1). */
function sampleMax(data: PixelData): number {
  return data instanceof Uint16Array ? 65535 : data instanceof Float32Array ? 1 : 255;
}

/** { width, height, data } → the engine's float RgbImage; channels from the data length. */
export function toRgbImage(image: ImageLike): RgbImage {
  const { width, height, data } = image;
  const pixels = width * height;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`image size ${width}×${height} is not a positive integer size`);
  }
  checkPixelData(data);
  const channels = data.length / pixels;
  if (channels !== 3 && channels !== 4) {
    throw new Error(`image data has ${data.length} values for ${width}×${height} pixels: expected RGB (${pixels * 3}) or RGBA (${pixels * 4})`);
  }
  const out = new Float32Array(data.length);
  if (data instanceof Float32Array) {
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new RangeError(`image data[${bad}] (pixel ${Math.floor(bad / channels) % width},${Math.floor(bad / channels / width)}, channel ${bad % channels}) is ${data[bad]}: Float32Array pixels must be finite values in 0..1`);
    }
    out.set(data);
  } else {
    const max = sampleMax(data);
    for (let i = 0; i < data.length; i++) out[i] = data[i]! / max;
  }
  return { width, height, channels, data: out };
}

/** Only the pixel arrays the API documents: a plain array or an Int16Array would be misread. */
function checkPixelData(data: unknown): asserts data is PixelData {
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Uint16Array || data instanceof Float32Array) return;
  const what = Array.isArray(data) ? 'a plain array' : (data as object | null)?.constructor?.name ?? String(data);
  throw new TypeError(`image data is ${what}: expected a Uint8Array, Uint8ClampedArray (0..255), Uint16Array (0..65535) or Float32Array (0..1), e.g. new Uint8ClampedArray(values)`);
}

function checkBackend(backend: unknown): void {
  if (backend !== undefined && !isNodeBackend(backend)) throw new RangeError(`backend must be 'auto', 'vulkan' or 'opengl', got ${String(backend)}`);
}

/** Options of upscale(), checked before any model or GPU work. */
function checkUpscaleOptions(opts: UpscaleOptions): void {
  checkTileOptions(opts);
  if (opts.model !== undefined && (typeof opts.model !== 'string' || !opts.model)) throw new TypeError(`model must be a built-in name or a file path, got ${String(opts.model)}`);
  if (opts.arch !== undefined && !isPytorchArch(opts.arch)) throw new RangeError(`arch must be 'leftthomas' or 'srresnet-tutorial', got ${String(opts.arch)}`);
  checkBackend(opts.backend);
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') throw new TypeError('onProgress must be a function (done, total) => void');
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal (e.g. new AbortController().signal)');
}

/** RgbImage → { width, height, channels, data } with the same array type as `like` (rounded and
 *  clamped); with a Float32Array that is an RgbImage again (writeImage takes it). */
export function fromRgbImage<D extends PixelData>(img: RgbImage, like: D): ImageLike<D> & { channels: 3 | 4 } {
  const n = img.data.length;
  const Ctor = like.constructor as new (n: number) => D;
  const data = new Ctor(n);
  const max = sampleMax(data);
  if (data instanceof Float32Array) {
    for (let i = 0; i < n; i++) data[i] = Math.min(1, Math.max(0, img.data[i]!));
  } else {
    for (let i = 0; i < n; i++) data[i] = quantize(img.data[i]!, max);
  }
  return { width: img.width, height: img.height, channels: img.channels, data };
}

/**
 * Upscale an image by the model's factor. Returns the same kind of image (RGB stays RGB, RGBA
 * stays RGBA with alpha upscaled bicubically; 8-bit stays 8-bit, 16-bit 16-bit, float float).
 * Bad options or pixel data (a fractional tileSize, NaN samples, an Int16Array) are refused
 * before any model or GPU work.
 */
export async function upscale<D extends PixelData>(image: ImageLike<D>, opts: UpscaleOptions = {}): Promise<ImageLike<D> & { channels: 3 | 4 }> {
  checkUpscaleOptions(opts);
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal);
  const input = toRgbImage(image);
  const { model } = await getModel(opts.model ?? defaultModel(), { arch: opts.arch, backend: opts.backend });
  if (signal?.aborted) throw abortError(signal);
  const out = await upscaleTiled(model.rt, model, input, {
    tileSize: opts.tileSize,
    overlap: opts.overlap,
    maxBufferBytes: opts.maxBufferBytes,
    onProgress: opts.onProgress,
    signal,
  });
  return fromRgbImage(out, image.data);
}

// ---- video ---------------------------------------------------------------------------------------

export interface StabilizerOptions extends Partial<TemporalOptions> {
  backend?: Backend;
}

export interface StabilizedImage<D extends PixelData> {
  /** The same kind of image as the SR frame given (array type, channels). */
  image: ImageLike<D> & { channels: 3 | 4 };
  /** True when this frame restarted the blend (the first frame, or a scene cut). */
  reset: boolean;
  /** Mean LR warp error against the previous frame (luma, 0..255); NaN for the first frame. */
  warpError: number;
}

export interface Stabilizer {
  /** Stabilise `sr`, the upscaled `lr`, against the frames processed before; frames in order,
   *  each call awaited before the next. */
  process<D extends PixelData>(lr: ImageLike, sr: ImageLike<D>): Promise<StabilizedImage<D>>;
  /** Forget the previous frame: the next one starts a new scene. */
  reset(): void;
  dispose(): void;
}

/**
 * The temporal mode of `vivid video` (README "Temporal mode") for frames upscaled by the caller:
 * each upscaled frame is blended with the previous output where the motion from the LR frames
 * makes it trustworthy, and back-projected onto its LR frame. It runs on the shared runtime of
 * `backend` (freed by shutdown()); options are DEFAULT_TEMPORAL's, checked before any GPU work.
 */
export async function createStabilizer(opts: StabilizerOptions = {}): Promise<Stabilizer> {
  const { backend, ...overrides } = opts;
  checkBackend(backend);
  const options = temporalOptions(overrides);
  const st = new TemporalStabilizer(await getRuntime(backend), options);
  return {
    async process(lr, sr) {
      const r = await st.process(toRgbImage(lr), toRgbImage(sr));
      return { image: fromRgbImage(r.image, sr.data), reset: r.reset, warpError: r.warpError };
    },
    reset: () => st.reset(),
    dispose: () => st.dispose(),
  };
}
