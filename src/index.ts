// viVID's public API. `upscale()` is the one call most users need: it takes an image as
// { width, height, data } (RGB or RGBA, 8-bit or float), picks a model, creates the WebGPU
// runtime on first use and keeps it and the loaded models for later calls. Everything below
// it (runtime, loaders, tiling, evaluation, image I/O, metrics) is re-exported for callers who
// want control.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime } from './graph/runtime.ts';
import { backendFromEnv, type Backend } from './graph/device.ts';
import { abortError, upscaleTiled } from './inference/tiling.ts';
import type { RgbImage } from './io/image.ts';
import { InferenceGenerator } from './models/inference.ts';
import { builtinModels, loadGenerator, type LoadedGenerator } from './models/load.ts';
import type { PytorchArch } from './models/pytorch-import.ts';

export { Runtime, GpuError } from './graph/runtime.ts';
export type { Backend } from './graph/device.ts';
export { Tensor } from './graph/tensor.ts';
export { Generator, PAPER_SRRESNET, type GeneratorConfig } from './models/generator.ts';
export { InferenceGenerator } from './models/inference.ts';
export { loadGenerator, saveGenerator, builtinModels, parseGeneratorFile, WEIGHTS_DIR, type LoadedGenerator } from './models/load.ts';
export { detectPytorchGenerator, type PytorchArch, type HostTensor } from './models/pytorch-import.ts';
export { upscaleTiled, receptiveRadius, autoTileSize, type TileOptions } from './inference/tiling.ts';
export { evaluate, bicubicUpscaler, type EvalReport, type ImageResult, type Upscaler } from './eval/evaluate.ts';
export { findPairs, type EvalPair } from './eval/dataset.ts';
export { readImage, writeImage, decodeImage, encodeImage, probeImage, createImage, quantize8, DEFAULT_MAX_PIXELS, type RgbImage, type ImageFormat, type DecodeOptions, type EncodeOptions } from './io/image.ts';
export { imresize, gaussianBlur } from './data/resize.ts';
export { psnr, ssim, mse, rgbToY, evaluatePair, type PairMetrics } from './metrics/quality.ts';
export { Progress, type ProgressOptions } from './util/progress.ts';

export type PixelData = Uint8Array | Uint8ClampedArray | Float32Array;

/** An image as browsers' ImageData and most decoders hand it out: interleaved RGB or RGBA. */
export interface ImageLike<D extends PixelData = PixelData> {
  width: number;
  height: number;
  /** 0..255 for Uint8Array / Uint8ClampedArray, 0..1 for Float32Array. */
  data: D;
}

export interface UpscaleOptions {
  /** Built-in name (weights/*.safetensors), a .safetensors path or a PyTorch .pth path. Default: defaultModel(). */
  model?: string;
  /** PyTorch checkpoints only: override the detected architecture. */
  arch?: PytorchArch;
  /** Core tile size in LR pixels (default: as large as the adapter allows). */
  tileSize?: number;
  /** LR pixels of context per tile side (default: the receptive field, which makes tiling exact). */
  overlap?: number;
  /** Called with (tiles done, tiles in all). */
  onProgress?: (done: number, total: number) => void;
  /** Aborting rejects with an AbortError before the next tile; GPU memory of the run is freed. */
  signal?: AbortSignal;
  backend?: Backend;
}

const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/** The shared data folder used by development checkouts: $VIVID_SHARED or ../shared. */
export function sharedRoot(): string {
  return process.env.VIVID_SHARED ?? resolve(repoRoot, '../shared');
}

/**
 * The model used when none is named: the shipped default (builtinModels() lists it first), else the PyTorch
 * SRResNet in the shared folder of a development checkout. Throws with what to do otherwise.
 */
export function defaultModel(): string {
  const shipped = builtinModels();
  if (shipped.length) return shipped[0]!;
  const dev = resolve(sharedRoot(), 'weights/srresnet8-pytorch/srresnet8_x4.pth');
  if (existsSync(dev)) return dev;
  throw new Error(
    'no model given and none available: weights/ ships no trained model yet and ' +
      `${dev} does not exist. Pass --model (or { model }) with a .safetensors or PyTorch .pth generator.`,
  );
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

/** { width, height, data } → the engine's float RgbImage; channels from the data length. */
export function toRgbImage(image: ImageLike): RgbImage {
  const { width, height, data } = image;
  const pixels = width * height;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`image size ${width}×${height} is not a positive integer size`);
  }
  const channels = data.length / pixels;
  if (channels !== 3 && channels !== 4) {
    throw new Error(`image data has ${data.length} values for ${width}×${height} pixels: expected RGB (${pixels * 3}) or RGBA (${pixels * 4})`);
  }
  const out = new Float32Array(data.length);
  if (data instanceof Float32Array) out.set(data);
  else for (let i = 0; i < data.length; i++) out[i] = data[i]! / 255;
  return { width, height, channels, data: out };
}

/** RgbImage → { width, height, data } with the same array type as `like` (rounded and clamped). */
export function fromRgbImage<D extends PixelData>(img: RgbImage, like: D): ImageLike<D> {
  const n = img.data.length;
  const Ctor = like.constructor as new (n: number) => D;
  const data = new Ctor(n);
  if (data instanceof Float32Array) {
    for (let i = 0; i < n; i++) data[i] = Math.min(1, Math.max(0, img.data[i]!));
  } else {
    for (let i = 0; i < n; i++) data[i] = Math.round(Math.min(1, Math.max(0, img.data[i]!)) * 255);
  }
  return { width: img.width, height: img.height, data };
}

/**
 * Upscale an image by the model's factor. Returns the same kind of image (RGB stays RGB, RGBA
 * stays RGBA with alpha upscaled bicubically; 8-bit stays 8-bit, float stays float).
 */
export async function upscale<D extends PixelData>(image: ImageLike<D>, opts: UpscaleOptions = {}): Promise<ImageLike<D>> {
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal);
  const input = toRgbImage(image);
  const { model } = await getModel(opts.model ?? defaultModel(), { arch: opts.arch, backend: opts.backend });
  if (signal?.aborted) throw abortError(signal);
  const out = await upscaleTiled(model.rt, model, input, {
    tileSize: opts.tileSize,
    overlap: opts.overlap,
    onProgress: opts.onProgress,
    signal,
  });
  return fromRgbImage(out, image.data);
}
