// Temporal stabilisation of super-resolved video, a post-process on each SR frame (the
// generator is untouched, so it works with every model):
//   1. flow from the current LR frame to the previous one (Lucas–Kanade on LR luma, GPU);
//   2. the LR warp error |Y_t − warp(Y_t−1)| (3×3 max) gives the confidence of the warp;
//   3. the previous output is warped to this frame (flow upsampled ×scale on the fly, the
//      output resampled with cubic convolution, so that warping it again and again does not
//      blur it) and blended with the current SR frame:
//        out = sr + alpha·exp(−(err/sigma)²)·(warped previous output − sr)
//   4. at a scene cut (mean LR warp error above cutError, or a jump to cutRatio× the previous
//      frame's) the blend restarts from the SR frame.
// The output is a recursive average along motion trajectories: what the generator hallucinates
// differently every frame averages out, what it draws consistently stays. The whole frame is
// blended, not only its detail above the upsampled LR: on Vid4 calendar a detail-only blend
// left the LR frames' own aliasing flicker in the output and cost PSNR (README, Temporal mode).

import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';
import type { RgbImage } from '../io/image.ts';
import { blendPrevious, warpError } from '../kernels/blend.ts';
import { DEFAULT_FLOW, opticalFlow, type FlowOptions } from '../kernels/flow.ts';
import { luma } from '../kernels/pyramid.ts';
import { mean } from '../kernels/reduce.ts';
import { warp } from '../kernels/warp.ts';

export interface TemporalOptions {
  /** Weight of the previous output where the warp is exact (0..1). */
  alpha: number;
  /** LR warp error (luma, 0..255) at which that weight has fallen to alpha/e. */
  sigma: number;
  /** Mean LR warp error (luma) above which a frame always starts a new scene. */
  cutError: number;
  /** A frame also starts a new scene when its mean warp error jumps to this many times the
   *  previous frame's (and above 2 luma levels): aliasing makes the error level scene-dependent. */
  cutRatio: number;
  flow: FlowOptions;
}

export const DEFAULT_TEMPORAL: TemporalOptions = { alpha: 0.8, sigma: 40, cutError: 50, cutRatio: 3, flow: DEFAULT_FLOW };

export interface StabilizedFrame {
  image: RgbImage;
  /** True when this frame restarted the blend (the first frame, or a scene cut). */
  reset: boolean;
  /** Mean LR warp error against the previous frame (luma, 0..255); NaN for the first frame. */
  warpError: number;
}

const tensorOf = (rt: Runtime, img: RgbImage) => rt.tensor([1, img.height, img.width, img.channels], img.data);

/** Mean of a tensor, reduced on the GPU: one number comes back, not the map. */
async function meanOf(rt: Runtime, t: Tensor): Promise<number> {
  const m = mean(rt, t);
  const [v] = await m.read();
  m.dispose();
  return v!;
}

export class TemporalStabilizer {
  private prev: { y: Tensor; out: Tensor; lrShape: string; error: number } | null = null;

  constructor(
    readonly rt: Runtime,
    readonly opts: TemporalOptions = DEFAULT_TEMPORAL,
  ) {
    if (!(opts.alpha >= 0 && opts.alpha <= 1)) throw new Error(`temporal alpha ${opts.alpha} must be in [0, 1]`);
  }

  /** Stabilise SR frame `sr` of LR frame `lr` against the frames given before. */
  async process(lr: RgbImage, sr: RgbImage): Promise<StabilizedFrame> {
    const rt = this.rt;
    const lrShape = `${lr.width}x${lr.height}x${lr.channels}`;
    if (sr.channels !== lr.channels || sr.width % lr.width || sr.width / lr.width !== sr.height / lr.height) {
      throw new Error(`temporal: SR ${sr.width}×${sr.height}×${sr.channels} is not LR ${lr.width}×${lr.height}×${lr.channels} upscaled by an integer factor`);
    }
    const tlr = tensorOf(rt, lr), tsr = tensorOf(rt, sr);
    const y = luma(rt, tlr);
    let alpha = 0, err: Tensor, prevOut: Tensor, meanError = NaN;
    if (this.prev && this.prev.lrShape === lrShape) {
      const flow = opticalFlow(rt, y, this.prev.y, this.opts.flow);
      const yw = warp(rt, this.prev.y, flow);
      err = warpError(rt, y, yw);
      meanError = await meanOf(rt, err);
      const o = this.opts, before = this.prev.error;
      const cut = meanError > o.cutError || (meanError > 2 && meanError > o.cutRatio * before);
      alpha = cut ? 0 : o.alpha;
      prevOut = alpha ? warp(rt, this.prev.out, flow, 'cubic') : tsr;
      flow.dispose();
      yw.dispose();
    } else {
      err = rt.tensor([1, lr.height, lr.width, 1], new Float32Array(lr.width * lr.height));
      prevOut = tsr; // not read with alpha 0, but must be finite
    }
    const out = blendPrevious(rt, { sr: tsr, prev: prevOut, err }, alpha, this.opts.sigma);
    const data = await out.read();
    this.dropPrevious();
    this.prev = { y, out, lrShape, error: Number.isNaN(meanError) || alpha === 0 ? Infinity : meanError };
    for (const t of new Set([tlr, tsr, err, prevOut])) t.dispose();
    return { image: { width: sr.width, height: sr.height, channels: sr.channels, data }, reset: alpha === 0, warpError: meanError };
  }

  private dropPrevious(): void {
    this.prev?.y.dispose();
    this.prev?.out.dispose();
    this.prev = null;
  }

  /** Forget the previous frame: the next one starts a new scene. */
  reset(): void {
    this.dropPrevious();
  }

  dispose(): void {
    this.dropPrevious();
  }
}
