// Backward warp (shaders/warp.wgsl): out[x] = src(x + flow(x)), clamped to the edge, sampled
// bilinearly or with Keys' cubic convolution.

import { grid1d } from '../graph/grid.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';
import { imageDims } from './pyramid.ts';

const WG = 256;

export type WarpSampling = 'bilinear' | 'cubic';

/**
 * Warp src [1, H, W, C] by flow [1, H/s, W/s, 2] (in flow pixels; s = W / flow width, an
 * integer): a coarser flow is upsampled bilinearly and scaled by s on the fly.
 */
export function warp(rt: Runtime, src: Tensor, flow: Tensor, sampling: WarpSampling = 'bilinear'): Tensor {
  const [h, w, c] = imageDims('warp', src);
  const [fh, fw, k] = imageDims('warp', flow);
  const s = w / fw;
  if (k !== 2 || !Number.isInteger(s) || s < 1 || fh * s !== h) throw new Error(`warp: flow [${flow.shape}] does not divide image [${src.shape}] by an integer factor`);
  const out = rt.empty([1, h, w, c]);
  const pixels = h * w;
  rt.run({ shader: 'warp', entry: sampling === 'cubic' ? 'warp_cubic' : 'warp', constants: { WG } }, { bind: { src, flow, dst: out }, uniforms: { pixels, w, h, c, fw, fh, s }, workgroups: grid1d(pixels, WG) });
  return out;
}
