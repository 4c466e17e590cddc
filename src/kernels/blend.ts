// Confidence-masked blending of the previous output for temporal stabilisation (shaders/blend.wgsl).

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
  /** The previous output warped onto this frame [1, H, W, C]. */
  prev: Tensor;
  /** How unreliable prev is, at LR size [1, H/s, W/s, 1] (luma, 0..255). */
  err: Tensor;
}

/** out = sr + alpha·exp(−(err/sigma)²)·(prev − sr); alpha = 0 returns sr itself (a reset). */
export function blendPrevious(rt: Runtime, x: BlendInputs, alpha: number, sigma: number): Tensor {
  const [h, w, c] = imageDims('blendPrevious', x.sr);
  const [lh, lw, ec] = imageDims('blendPrevious', x.err);
  const s = w / lw;
  if (ec !== 1 || !Number.isInteger(s) || lh * s !== h) throw new Error(`blendPrevious: err [${x.err.shape}] is not one plane of SR [${x.sr.shape}] divided by an integer factor`);
  if (x.prev.shape.join() !== x.sr.shape.join()) throw new Error(`blendPrevious: prev [${x.prev.shape}] does not match SR [${x.sr.shape}]`);
  if (!(alpha >= 0 && alpha <= 1) || !(sigma > 0)) throw new Error(`blendPrevious: alpha ${alpha} must be in [0, 1] and sigma ${sigma} > 0`);
  const out = rt.empty([1, h, w, c]);
  const pixels = h * w;
  rt.run(
    { shader: 'blend', entry: 'blend', constants: { WG } },
    { bind: { sr: x.sr, prev: x.prev, werr: x.err, out }, uniforms: { pixels, w, h, c, lw, lh, s, alpha, sigma }, workgroups: grid1d(pixels, WG) },
  );
  return out;
}
