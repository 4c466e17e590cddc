// Float64 CPU references for shaders/blend.wgsl.

import { bilinear, coarsePos, type F64 } from './warp.ts';

/** max over the 3×3 neighbourhood of |a − b|, planes [h, w]. */
export function warpError(a: F64, b: F64, h: number, w: number): F64 {
  const e = new Float64Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let m = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const q = Math.min(Math.max(y + dy, 0), h - 1) * w + Math.min(Math.max(x + dx, 0), w - 1);
          m = Math.max(m, Math.abs(a[q]! - b[q]!));
        }
      e[y * w + x] = m;
    }
  return e;
}

/** sr, prev = [h, w, c]; err = [h/s, w/s]: sr + alpha·exp(−(err/sigma)²)·(prev − sr). */
export function blendPrevious(sr: F64, prev: F64, err: F64, h: number, w: number, c: number, s: number, alpha: number, sigma: number): F64 {
  const lh = h / s, lw = w / s;
  const out = new Float64Array(h * w * c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const e = bilinear(err, lh, lw, 1, 0, coarsePos(x, s), coarsePos(y, s)) / sigma;
      const wgt = alpha * Math.exp(-e * e);
      for (let k = 0; k < c; k++) {
        const i = (y * w + x) * c + k;
        out[i] = sr[i]! + wgt * (prev[i]! - sr[i]!);
      }
    }
  return out;
}
