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
 * The core tile size when none is given. The biggest activation of a region R×R' is the last
 * upsampler's conv output, (scale/2)²·R·R'·4·channels floats, and must fit one storage binding;
 * regions are also capped at 256² LR pixels to keep host memory modest on software adapters.
 * An image that fits whole is one tile (no overlap work at all); otherwise square tiles.
 */
export function autoTileSize(rt: Runtime, c: GeneratorConfig, overlap: number, width: number, height: number): number {
  const limit = Math.min(rt.limits.maxStorageBufferBindingSize, rt.limits.maxBufferSize);
  const perPixel = 4 * c.channels * 4 * (c.scale / 2) ** 2;
  const maxArea = Math.min(256 * 256, Math.floor(limit / perPixel));
  if (width * height <= maxArea) return Math.max(width, height);
  return Math.max(16, Math.floor(Math.sqrt(maxArea)) - 2 * overlap);
}

export function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error ? reason : new DOMException(String(reason ?? 'upscale aborted'), 'AbortError');
}

export async function upscaleTiled(rt: Runtime, model: InferenceGenerator, img: RgbImage, opts: TileOptions = {}): Promise<RgbImage> {
  const s = model.config.scale;
  const overlap = opts.overlap ?? receptiveRadius(model.config);
  const tile = opts.tileSize ?? autoTileSize(rt, model.config, overlap, img.width, img.height);
  if (!(tile >= 1) || !(overlap >= 0)) throw new Error(`bad tiling: tile ${tile}, overlap ${overlap}`);
  const { width: W, height: H, channels: ch } = img;
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
    }
  }
  if (ch === 4) {
    const alpha = { width: W, height: H, channels: 1, data: Float32Array.from({ length: W * H }, (_, i) => img.data[i * 4 + 3]!) };
    const up = imresize(alpha, s);
    for (let i = 0; i < up.data.length; i++) out.data[i * 4 + 3] = Math.min(1, Math.max(0, up.data[i]!));
  }
  return out;
}
