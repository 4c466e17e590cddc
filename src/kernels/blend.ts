// Confidence-masked detail blending for temporal stabilisation (shaders/blend.wgsl).

import { grid1d } from '../graph/grid.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';
import { imageDims } from './pyramid.ts';

const WG = 256;

/** |a − b| of two planes [1, H, W, 1], the largest over each pixel's 3×3 neighbourhood. */
export function warpError(rt: Runtime, a: Tensor, b: Tensor): Tensor {
  const [h, w, c] = imageDims('warpError', a);
  if (c !== 1 || a.shape.join() !== b.shape.join()) throw new Error(`warpError: expected two planes of one size, got [${a.shape}] and [${b.shape}]`);
  const err = rt.empty([1, h, w, 1]);
  const pixels = h * w;
  rt.run(
    { shader: 'blend', entry: 'warp_error', constants: { WG } },
    { bind: { a, b, err }, uniforms: { pixels, w, h, c: 1, lw: w, lh: h, s: 1, alpha: 0, sigma: 1 }, workgroups: grid1d(pixels, WG) },
  );
  return err;
}

export interface BlendInputs {
  /** The current SR frame [1, H, W, C]. */
  sr: Tensor;
  /** Its LR input [1, H/s, W/s, C]. */
  lr: Tensor;
  /** The previous output's detail warped onto this frame [1, H, W, C]. */
  prev: Tensor;
  /** LR warp error [1, H/s, W/s, 1] (luma, 0..255). */
  err: Tensor;
}

/**
 * out = sr + alpha·exp(−(err/sigma)²)·(prev − (sr − up(lr))) and detail = out − up(lr), with
 * up() bilinear. alpha = 0 returns sr itself and its detail (a reset).
 */
export function blendDetail(rt: Runtime, x: BlendInputs, alpha: number, sigma: number): { out: Tensor; detail: Tensor } {
  const [h, w, c] = imageDims('blendDetail', x.sr);
  const [lh, lw, lc] = imageDims('blendDetail', x.lr);
  const s = w / lw;
  if (lc !== c || !Number.isInteger(s) || lh * s !== h) throw new Error(`blendDetail: LR [${x.lr.shape}] is not SR [${x.sr.shape}] divided by an integer factor`);
  if (x.prev.shape.join() !== x.sr.shape.join() || x.err.shape.join() !== [1, lh, lw, 1].join()) {
    throw new Error(`blendDetail: prev [${x.prev.shape}] or err [${x.err.shape}] does not match SR [${x.sr.shape}] / LR [${x.lr.shape}]`);
  }
  if (!(alpha >= 0 && alpha <= 1) || !(sigma > 0)) throw new Error(`blendDetail: alpha ${alpha} must be in [0, 1] and sigma ${sigma} > 0`);
  const out = rt.empty([1, h, w, c]);
  const detail = rt.empty([1, h, w, c]);
  const pixels = h * w;
  rt.run(
    { shader: 'blend', entry: 'blend', constants: { WG } },
    { bind: { sr: x.sr, lr: x.lr, prev: x.prev, werr: x.err, out, detail }, uniforms: { pixels, w, h, c, lw, lh, s, alpha, sigma }, workgroups: grid1d(pixels, WG) },
  );
  return { out, detail };
}
