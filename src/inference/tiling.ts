// Upscaling an image of any size within the adapter's buffer limits, as plan.ts plans it: the
// low-resolution part on regions (the whole image when it fits) with `overlap` LR pixels of
// context (clamped at the image border, where the whole-image run sees zero padding too), the
// upsampling tail in bands of each region's core. When the overlap covers the receptive field
// the result equals the whole-image result — seam-free by construction. Alpha, when present,
// is upscaled with bicubic.

import { imresize } from '../data/resize.ts';
import type { RgbImage } from '../io/image.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { InferenceGenerator } from '../models/inference.ts';
import type { GeneratorConfig } from '../models/generator.ts';
import { planTiles, receptiveRadius, rectH, rectW, trunkBytes, type Rect, type TilePlan } from './plan.ts';

export { largestLayerBytes, receptiveRadius } from './plan.ts';

export interface TileOptions {
  /** Core size of the low-resolution regions in LR pixels (default: the fewest regions that fit
   *  the adapter's buffers — one when the image fits whole). */
  tileSize?: number;
  /** LR pixels of context around each region (default: the receptive field radius, which makes
   *  tiling exact). */
  overlap?: number;
  /** Bytes the largest tensor may take (default and ceiling: the adapter's storage binding
   *  limit); smaller trades speed for memory. */
  maxBufferBytes?: number;
  /** Work done and in all, in FLOPs (so done / total is the fraction done); called after every
   *  conv, of the low-resolution part and of each band of the tail. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** The largest buffer one GPU binding may be: every tensor of a region or band must fit it. */
export function bufferLimit(rt: Runtime, opts: { maxBufferBytes?: number } = {}): number {
  return Math.min(rt.limits.maxStorageBufferBindingSize, rt.limits.maxBufferSize, opts.maxBufferBytes ?? Infinity);
}

/** The plan upscaleTiled follows for a W × H image on rt (tests and benchmarks read it). */
export function planFor(rt: Runtime, c: GeneratorConfig, W: number, H: number, opts: TileOptions = {}): TilePlan {
  const overlap = opts.overlap ?? receptiveRadius(c);
  const limit = bufferLimit(rt, opts);
  if (opts.tileSize !== undefined) checkTileFits(rt, c, opts.tileSize, overlap, W, H, limit);
  return planTiles(c, W, H, { limit, tileSize: opts.tileSize, overlap });
}

/** Tile size and overlap must be whole pixels (a fractional tile silently corrupts the result). */
export function checkTileOptions(o: { tileSize?: unknown; overlap?: unknown; maxBufferBytes?: unknown }): void {
  if (o.tileSize !== undefined && !(Number.isInteger(o.tileSize) && (o.tileSize as number) >= 1)) {
    throw new RangeError(`tileSize must be a whole number of LR pixels ≥ 1 (or left out for the largest that fits), got ${String(o.tileSize)}`);
  }
  if (o.overlap !== undefined && !(Number.isInteger(o.overlap) && (o.overlap as number) >= 0)) {
    throw new RangeError(`overlap must be a whole number of LR pixels ≥ 0 (or left out for the receptive field, which makes tiling exact), got ${String(o.overlap)}`);
  }
  if (o.maxBufferBytes !== undefined && !(Number.isInteger(o.maxBufferBytes) && (o.maxBufferBytes as number) >= 1)) {
    throw new RangeError(`maxBufferBytes must be a whole number of bytes ≥ 1 (or left out for the adapter's limit), got ${String(o.maxBufferBytes)}`);
  }
}

/**
 * Refuse, before any compute, a tile whose region (core + overlap, clipped to the image)
 * needs a buffer beyond the adapter's limit — Dawn would otherwise fail mid-run with raw
 * validation errors. Names the largest tile size that fits.
 */
function checkTileFits(rt: Runtime, c: GeneratorConfig, tile: number, overlap: number, W: number, H: number, limit: number): void {
  const need = (t: number) => trunkBytes(c, Math.min(W, t + 2 * overlap), Math.min(H, t + 2 * overlap));
  if (need(tile) <= limit) return;
  let lo = 0, hi = tile; // need(lo) fits (or lo = 0: none does), need(hi) does not
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (need(mid) <= limit) lo = mid;
    else hi = mid;
  }
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const rw = Math.min(W, tile + 2 * overlap), rh = Math.min(H, tile + 2 * overlap);
  throw new RangeError(
    `tile size ${tile} is too large for this GPU: a ${rw}×${rh} region (tile + ${overlap} px overlap per side) needs a ${mb(need(tile))} buffer ` +
      `for the ×${c.scale} generator's largest layer, over the adapter's ${mb(limit)} limit (maxStorageBufferBindingSize${limit < rt.limits.maxStorageBufferBindingSize ? ', or maxBufferBytes' : ''}). ` +
      (lo >= 1 ? `Use a tile size of at most ${lo} (--tile / tileSize), or leave it out to pick one that fits.` : `Even a 1-pixel tile does not fit with overlap ${overlap}: lower the overlap.`),
  );
}

export function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error ? reason : new DOMException(String(reason ?? 'upscale aborted'), 'AbortError');
}

/**
 * Upscale img by model's factor as planTiles plans it: per region, the low-resolution part, then
 * the tail band by band, each band's output copied into place; given onProgress or a signal,
 * after every conv it waits for the GPU, reports progress and stops promptly on abort.
 */
export async function upscaleTiled(rt: Runtime, model: InferenceGenerator, img: RgbImage, opts: TileOptions = {}): Promise<RgbImage> {
  checkTileOptions(opts);
  const s = model.config.scale;
  const { width: W, height: H, channels: ch } = img;
  const plan = planFor(rt, model.config, W, H, opts);
  const out: RgbImage = { width: W * s, height: H * s, channels: ch, data: new Float32Array(W * s * H * s * ch) };
  let done = 0;
  // After each conv: wait for the GPU, report, and stop on an abort that came while it ran or
  // from the report itself (the last conv must not slip past one). With nobody to report to
  // and nothing to abort, the convs are queued without a wait between them.
  const listened = opts.onProgress !== undefined || opts.signal !== undefined;
  const step = async (flops: number) => {
    if (!listened) return;
    await rt.sync();
    done += flops;
    opts.onProgress?.(done, plan.flops);
    if (opts.signal?.aborted) throw abortError(opts.signal);
  };
  if (opts.signal?.aborted) throw abortError(opts.signal);
  opts.onProgress?.(0, plan.flops);
  for (const region of plan.regions) {
    const x = rt.tensor([1, rectH(region.input), rectW(region.input), 3], crop(img, region.input));
    try {
      const features = await drive(model.features(x), (_, i) => step(region.trunkFlops[i]!));
      try {
        for (const band of region.bands) {
          const y = await drive(model.band(features, region.input, x, region.input, band), (s) => step(s.flops));
          let sr: Float32Array;
          try {
            sr = await y.read();
          } finally {
            y.dispose();
          }
          paste(out, sr, band.out);
          if (opts.signal?.aborted) throw abortError(opts.signal); // one that came during the read-back
        }
      } finally {
        features.dispose();
      }
    } finally {
      x.dispose();
    }
  }
  if (ch === 4) {
    const alpha = { width: W, height: H, channels: 1, data: Float32Array.from({ length: W * H }, (_, i) => img.data[i * 4 + 3]!) };
    const up = imresize(alpha, s);
    for (let i = 0; i < up.data.length; i++) out.data[i * 4 + 3] = Math.min(1, Math.max(0, up.data[i]!));
  }
  return out;
}

/** Run a generator of queued GPU steps to its result, awaiting `after` at each; stopped early
 *  (after throws: an abort), the generator frees what it holds. */
async function drive<S, T>(steps: Generator<S, T, void>, after: (step: S, i: number) => Promise<void>): Promise<T> {
  let r = steps.next();
  try {
    for (let i = 0; !r.done; i++, r = steps.next()) await after(r.value, i);
  } finally {
    if (!r.done) steps.return(undefined as never);
  }
  return r.value;
}

/** The RGB pixels of rectangle r of img, packed. */
function crop(img: RgbImage, r: Rect): Float32Array {
  const w = rectW(r), h = rectH(r), ch = img.channels;
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = ((r.y0 + y) * img.width + r.x0 + x) * ch, dst = (y * w + x) * 3;
      data[dst] = img.data[src]!;
      data[dst + 1] = img.data[src + 1]!;
      data[dst + 2] = img.data[src + 2]!;
    }
  }
  return data;
}

/** Packed RGB pixels of rectangle r into out's colour channels. */
function paste(out: RgbImage, rgb: Float32Array, r: Rect): void {
  const w = rectW(r), ch = out.channels;
  for (let y = r.y0; y < r.y1; y++) {
    for (let x = r.x0; x < r.x1; x++) {
      const src = ((y - r.y0) * w + x - r.x0) * 3, dst = (y * out.width + x) * ch;
      out.data[dst] = rgb[src]!;
      out.data[dst + 1] = rgb[src + 1]!;
      out.data[dst + 2] = rgb[src + 2]!;
    }
  }
}
