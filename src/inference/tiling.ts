// Upscaling an image of any size in tiles. Each tile's core is run with `overlap` LR pixels of
// context on every side (clamped at the image border, where the whole-image run sees zero
// padding too); only the core of each result is kept. When the overlap covers the generator's
// receptive field the tiled result equals the whole-image result — seam-free by construction.
// Alpha, when present, is upscaled with bicubic.

import { imresize } from '../data/resize.ts';
import type { RgbImage } from '../io/image.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { InferenceGenerator } from '../models/inference.ts';
import type { GeneratorConfig } from '../models/generator.ts';
import { bucketSize } from '../graph/pool.ts';

export interface TileOptions {
  /** Core tile size in LR pixels (default: the largest the adapter's buffers allow, capped). */
  tileSize?: number;
  /** LR pixels of context around each tile (default: the receptive field radius). */
  overlap?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Receptive-field radius in LR pixels: 9×9 head, two 3×3 per block, post conv, upsamplers, 9×9 tail. */
export function receptiveRadius(c: GeneratorConfig): number {
  let r = 4 + 2 * c.blocks + 1;
  for (let j = 0; j < Math.log2(c.scale); j++) r += 1 / 2 ** j;
  return Math.ceil(r + 4 / c.scale);
}

/**
 * The core tile size when none is given. The biggest activation of a region (largestLayerBytes)
 * must fit one storage binding; regions are also capped at 256² LR pixels to keep host memory modest on software adapters.
 * An image that fits whole is one tile (no overlap work at all); otherwise square tiles.
 */
export function autoTileSize(rt: Runtime, c: GeneratorConfig, overlap: number, width: number, height: number): number {
  const maxArea = Math.min(256 * 256, Math.floor(bufferLimit(rt) / largestLayerBytes(c, 1, 1)));
  if (width * height <= maxArea) return Math.max(width, height);
  return Math.max(16, Math.floor(Math.sqrt(maxArea)) - 2 * overlap);
}

/** The largest buffer one GPU binding may be: a tile's every activation must fit it. */
function bufferLimit(rt: Runtime): number {
  return Math.min(rt.limits.maxStorageBufferBindingSize, rt.limits.maxBufferSize);
}

/**
 * Bytes of the generator's largest activation for a w×h LR region: the head's features, the
 * last upsampler's conv output ((scale/2)²·w·h pixels × 4·channels), or the RGB output (and
 * the bicubic skip's phases, the same size).
 */
export function largestLayerBytes(c: GeneratorConfig, w: number, h: number): number {
  return 4 * w * h * Math.max(c.channels, 4 * c.channels * (c.scale / 2) ** 2, 3 * c.scale ** 2);
}

/** Tile size and overlap must be whole pixels (a fractional tile silently corrupts the result). */
export function checkTileOptions(o: { tileSize?: unknown; overlap?: unknown }): void {
  if (o.tileSize !== undefined && !(Number.isInteger(o.tileSize) && (o.tileSize as number) >= 1)) {
    throw new RangeError(`tileSize must be a whole number of LR pixels ≥ 1 (or left out for the largest that fits), got ${String(o.tileSize)}`);
  }
  if (o.overlap !== undefined && !(Number.isInteger(o.overlap) && (o.overlap as number) >= 0)) {
    throw new RangeError(`overlap must be a whole number of LR pixels ≥ 0 (or left out for the receptive field, which makes tiling exact), got ${String(o.overlap)}`);
  }
}

/**
 * Refuse, before any compute, a tile whose region (core + overlap, clipped to the image)
 * needs a buffer beyond the adapter's limit — Dawn would otherwise fail mid-run with raw
 * validation errors. Names the largest tile size that fits.
 */
function checkTileFits(rt: Runtime, c: GeneratorConfig, tile: number, overlap: number, W: number, H: number): void {
  const limit = bufferLimit(rt);
  const need = (t: number) => bucketSize(largestLayerBytes(c, Math.min(W, t + 2 * overlap), Math.min(H, t + 2 * overlap)));
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
      `for the ×${c.scale} generator's largest layer, over the adapter's ${mb(limit)} limit (maxStorageBufferBindingSize). ` +
      (lo >= 1 ? `Use a tile size of at most ${lo} (--tile / tileSize), or leave it out to pick one that fits.` : `Even a 1-pixel tile does not fit with overlap ${overlap}: lower the overlap.`),
  );
}

export function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error ? reason : new DOMException(String(reason ?? 'upscale aborted'), 'AbortError');
}

export async function upscaleTiled(rt: Runtime, model: InferenceGenerator, img: RgbImage, opts: TileOptions = {}): Promise<RgbImage> {
  const s = model.config.scale;
  const overlap = opts.overlap ?? receptiveRadius(model.config);
  const tile = opts.tileSize ?? autoTileSize(rt, model.config, overlap, img.width, img.height);
  checkTileOptions({ tileSize: tile, overlap });
  const { width: W, height: H, channels: ch } = img;
  checkTileFits(rt, model.config, tile, overlap, W, H);
  const out: RgbImage = { width: W * s, height: H * s, channels: ch, data: new Float32Array(W * s * H * s * ch) };
  const tilesX = Math.ceil(W / tile), tilesY = Math.ceil(H / tile);
  const total = tilesX * tilesY;
  let done = 0;
  opts.onProgress?.(0, total);
  for (let ty = 0; ty < tilesY; ty++) {
    for (let tx = 0; tx < tilesX; tx++) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      const cx0 = tx * tile, cy0 = ty * tile;
      const cx1 = Math.min(W, cx0 + tile), cy1 = Math.min(H, cy0 + tile);
      const rx0 = Math.max(0, cx0 - overlap), ry0 = Math.max(0, cy0 - overlap);
      const rx1 = Math.min(W, cx1 + overlap), ry1 = Math.min(H, cy1 + overlap);
      const rw = rx1 - rx0, rh = ry1 - ry0;
      const input = new Float32Array(rw * rh * 3);
      for (let y = 0; y < rh; y++) {
        for (let x = 0; x < rw; x++) {
          const src = ((ry0 + y) * W + rx0 + x) * ch, dst = (y * rw + x) * 3;
          input[dst] = img.data[src]!;
          input[dst + 1] = img.data[src + 1]!;
          input[dst + 2] = img.data[src + 2]!;
        }
      }
      const x = rt.tensor([1, rh, rw, 3], input);
      const y = model.forward(x);
      x.dispose();
      let sr: Float32Array;
      try {
        sr = await y.read();
      } finally {
        y.dispose();
      }
      const ow = rw * s;
      for (let yy = (cy0 - ry0) * s; yy < (cy1 - ry0) * s; yy++) {
        for (let xx = (cx0 - rx0) * s; xx < (cx1 - rx0) * s; xx++) {
          const src = (yy * ow + xx) * 3;
          const dst = ((ry0 * s + yy) * W * s + rx0 * s + xx) * ch;
          out.data[dst] = sr[src]!;
          out.data[dst + 1] = sr[src + 1]!;
          out.data[dst + 2] = sr[src + 2]!;
        }
      }
      opts.onProgress?.(++done, total);
      // The last (or only) tile must not slip past an abort that came while it ran.
      if (opts.signal?.aborted) throw abortError(opts.signal);
    }
  }
  if (ch === 4) {
    const alpha = { width: W, height: H, channels: 1, data: Float32Array.from({ length: W * H }, (_, i) => img.data[i * 4 + 3]!) };
    const up = imresize(alpha, s);
    for (let i = 0; i < up.data.length; i++) out.data[i * 4 + 3] = Math.min(1, Math.max(0, up.data[i]!));
  }
  return out;
}
