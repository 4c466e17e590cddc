// Float64 CPU references for shaders/warp.wgsl, and the bilinear sampling the flow and blend
// references share: positions in pixel-centre coordinates, clamped to the edge.

import { cubic as keys } from '../data/resize.ts';

export type F64 = Float64Array;

/** Channel k of x = [h, w, c] at real position (px, py). */
export function bilinear(x: ArrayLike<number>, h: number, w: number, c: number, k: number, px: number, py: number): number {
  const fx = Math.min(Math.max(px, 0), w - 1), fy = Math.min(Math.max(py, 0), h - 1);
  const x0 = Math.floor(fx), y0 = Math.floor(fy);
  const x1 = Math.min(x0 + 1, w - 1), y1 = Math.min(y0 + 1, h - 1);
  const ax = fx - x0, ay = fy - y0;
  const v = (yy: number, xx: number) => x[(yy * w + xx) * c + k]!;
  return (1 - ay) * ((1 - ax) * v(y0, x0) + ax * v(y0, x1)) + ay * ((1 - ax) * v(y1, x0) + ax * v(y1, x1));
}

/** Channel k of x = [h, w, c] at real position (px, py), cubic convolution over 4×4 taps; the
 *  position is clamped to the image first, the taps to its edge. */
export function cubic(x: ArrayLike<number>, h: number, w: number, c: number, k: number, px: number, py: number): number {
  const fx = Math.min(Math.max(px, 0), w - 1), fy = Math.min(Math.max(py, 0), h - 1);
  const x0 = Math.floor(fx), y0 = Math.floor(fy);
  let sum = 0;
  for (let j = -1; j <= 2; j++)
    for (let i = -1; i <= 2; i++) {
      const yy = Math.min(Math.max(y0 + j, 0), h - 1), xx = Math.min(Math.max(x0 + i, 0), w - 1);
      sum += keys(fy - (y0 + j)) * keys(fx - (x0 + i)) * x[(yy * w + xx) * c + k]!;
    }
  return sum;
}

/** Where a fine pixel's centre falls in a grid s times coarser. */
export const coarsePos = (x: number, s: number) => (x + 0.5) / s - 0.5;

/** src = [h, w, c], flow = [h/s, w/s, 2] → src(x + s·up(flow)(x)), [h, w, c]. */
export function warp(src: F64, h: number, w: number, c: number, flow: F64, s: number, sample: typeof bilinear = bilinear): F64 {
  const fh = h / s, fw = w / s;
  const out = new Float64Array(h * w * c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const u = s * bilinear(flow, fh, fw, 2, 0, coarsePos(x, s), coarsePos(y, s));
      const v = s * bilinear(flow, fh, fw, 2, 1, coarsePos(x, s), coarsePos(y, s));
      for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = sample(src, h, w, c, k, x + u, y + v);
    }
  return out;
}
