// Temporal stabilisation of super-resolved video, a post-process on each SR frame (the
// generator is untouched, so it works with every model):
//   1. flow from the current LR frame to the previous one (Lucas–Kanade on LR luma, GPU);
//   2. the previous output is warped to this frame (flow upsampled ×scale on the fly, the
//      output resampled with cubic convolution, so that warping it again and again does not
//      blur it);
//   3. confidence: how much worse the warped previous output explains the current LR frame
//      than the current SR frame does, err = max(0, E(warped) − E(sr)) with E(x) = |Y(D·x) − Y_lr|
//      (D the bicubic downscale, 3×3 max). Stale content — a failed flow, an occlusion, a
//      change of light — disagrees with the LR frame; detail that no frame resolves (the LR
//      frames' aliasing) costs the SR frame as much and blends;
//   4. out = sr + alpha·exp(−(err/sigma)²)·(warped previous output − sr);
//   5. the blend is back-projected onto the current LR frame (src/kernels/backproject.ts): a
//      share `backProjection` of what its downscale says differently from the LR frame is put
//      back, so detail that the warps carry and the LR frames confirm accumulates over frames
//      (a multi-frame reconstruction), and errors that the blend carried over fade;
//   6. at a scene cut (mean LR warp error |Y_t − warp(Y_t−1)| above cutError, or a jump to
//      cutRatio× the previous frame's) the blend restarts from the SR frame.
// The output is a recursive average along motion trajectories: what the generator hallucinates
// differently every frame averages out, what it draws consistently stays. The whole frame is
// blended, not only its detail above the upsampled LR: on Vid4 calendar a detail-only blend
// left the LR frames' own aliasing flicker in the output (README, Temporal mode).

import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';
import type { RgbImage } from '../io/image.ts';
import { BackProjector } from '../kernels/backproject.ts';
import { blendPrevious, warpError } from '../kernels/blend.ts';
import { axpby, clamp } from '../kernels/elementwise.ts';
import { DEFAULT_FLOW, opticalFlow, type FlowOptions } from '../kernels/flow.ts';
import { luma } from '../kernels/pyramid.ts';
import { mean } from '../kernels/reduce.ts';
import { warp } from '../kernels/warp.ts';

export interface TemporalOptions {
  /** Weight of the previous output where it explains the LR frame as well as the SR frame (0..1). */
  alpha: number;
  /** Excess LR disagreement (luma, 0..255) of the warped previous output over the SR frame's
   *  at which that weight has fallen to alpha/e. */
  sigma: number;
  /** Mean LR warp error (luma) above which a frame always starts a new scene. */
  cutError: number;
  /** A frame also starts a new scene when its mean warp error jumps to this many times the
   *  previous frame's (and above 2 luma levels): aliasing makes the error level scene-dependent. */
  cutRatio: number;
  /** Share (0..1) of the output's disagreement with the LR frame projected away each frame;
   *  0 = none, 1 = the output's downscale is the LR frame. */
  backProjection: number;
  flow: FlowOptions;
}

export const DEFAULT_TEMPORAL: TemporalOptions = { alpha: 0.9, sigma: 15, cutError: 50, cutRatio: 3, backProjection: 0.75, flow: DEFAULT_FLOW };

/** DEFAULT_TEMPORAL with `overrides`, checked (unknown names and values out of range are refused):
 *  what the APIs' createStabilizer take, validated before any GPU work. */
export function temporalOptions(overrides: Partial<TemporalOptions> = {}): TemporalOptions {
  if (typeof overrides !== 'object' || overrides === null) throw new TypeError(`temporal options must be an object, got ${String(overrides)}`);
  const known = Object.keys(DEFAULT_TEMPORAL);
  for (const k of Object.keys(overrides)) if (!known.includes(k)) throw new TypeError(`unknown temporal option '${k}' (known: ${known.join(', ')})`);
  const o = { ...DEFAULT_TEMPORAL, ...overrides };
  checkTemporalOptions(o);
  return o;
}

function checkTemporalOptions(o: TemporalOptions): void {
  const share = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;
  const positive = (v: unknown) => typeof v === 'number' && v > 0;
  const rules: [keyof TemporalOptions, boolean, string][] = [
    ['alpha', share(o.alpha), 'in [0, 1]'],
    ['sigma', positive(o.sigma), 'a number of luma levels > 0'],
    ['cutError', positive(o.cutError), 'a number of luma levels > 0'],
    ['cutRatio', typeof o.cutRatio === 'number' && o.cutRatio >= 1, 'a ratio ≥ 1'],
    ['backProjection', share(o.backProjection), 'in [0, 1]'],
  ];
  for (const [name, ok, want] of rules) if (!ok) throw new RangeError(`temporal ${name} must be ${want}, got ${String(o[name])}`);
  const f = o.flow as Partial<FlowOptions> | undefined;
  const whole = (v: unknown, min: number) => Number.isInteger(v) && (v as number) >= min;
  if (!f || !whole(f.radius, 0) || !whole(f.iterations, 1) || !whole(f.minSide, 1) || !positive(f.lambda)) {
    throw new RangeError(`temporal flow must be { radius: integer ≥ 0, iterations: integer ≥ 1, lambda: > 0, minSide: integer ≥ 1 }, got ${JSON.stringify(f)}`);
  }
}

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
  private projector: BackProjector | null = null;
  private busy = false;

  constructor(
    readonly rt: Runtime,
    readonly opts: TemporalOptions = DEFAULT_TEMPORAL,
  ) {
    checkTemporalOptions(opts);
  }

  /** Stabilise SR frame `sr` of LR frame `lr` against the frames given before. */
  async process(lr: RgbImage, sr: RgbImage): Promise<StabilizedFrame> {
    // Each frame is blended with the one before: calls must not overlap.
    if (this.busy) throw new Error('a frame is already being stabilised: await each process() call before the next');
    this.busy = true;
    try {
      return await this.stabilise(lr, sr);
    } finally {
      this.busy = false;
    }
  }

  private async stabilise(lr: RgbImage, sr: RgbImage): Promise<StabilizedFrame> {
    const rt = this.rt;
    const lrShape = `${lr.width}x${lr.height}x${lr.channels}`;
    if (sr.channels !== lr.channels || sr.width % lr.width || sr.width / lr.width !== sr.height / lr.height) {
      throw new Error(`temporal: SR ${sr.width}×${sr.height}×${sr.channels} is not LR ${lr.width}×${lr.height}×${lr.channels} upscaled by an integer factor`);
    }
    const tlr = tensorOf(rt, lr), tsr = tensorOf(rt, sr);
    const y = luma(rt, tlr);
    const projector = this.projectorFor(lr, sr.width / lr.width);
    // A reset (the first frame, a new size, a scene cut) keeps the SR frame as the blend.
    let blended = tsr, reset = true, meanError = NaN;
    if (this.prev && this.prev.lrShape === lrShape) {
      const o = this.opts, flow = opticalFlow(rt, y, this.prev.y, o.flow);
      meanError = await this.meanWarpError(y, flow);
      reset = meanError > o.cutError || (meanError > 2 && meanError > o.cutRatio * this.prev.error);
      if (!reset) {
        const warped = warp(rt, this.prev.out, flow, 'cubic');
        const err = excessDisagreement(rt, projector, y, warped, tsr);
        blended = blendPrevious(rt, { sr: tsr, prev: warped, err }, o.alpha, o.sigma);
        warped.dispose();
        err.dispose();
      }
      flow.dispose();
    }
    const out = this.opts.backProjection ? projector.project(blended, tlr, this.opts.backProjection) : blended;
    const data = await out.read();
    this.dropPrevious();
    this.prev = { y, out, lrShape, error: reset ? Infinity : meanError };
    for (const t of new Set([tlr, tsr, blended])) if (t !== out) t.dispose();
    return { image: { width: sr.width, height: sr.height, channels: sr.channels, data }, reset, warpError: meanError };
  }

  /** Mean |y − warp(previous luma)|, 3×3 max: what decides a scene cut. */
  private async meanWarpError(y: Tensor, flow: Tensor): Promise<number> {
    const yw = warp(this.rt, this.prev!.y, flow);
    const err = warpError(this.rt, y, yw);
    const m = await meanOf(this.rt, err);
    yw.dispose();
    err.dispose();
    return m;
  }

  private projectorFor(lr: RgbImage, scale: number): BackProjector {
    const p = this.projector;
    if (p && p.lrHeight === lr.height && p.lrWidth === lr.width && p.scale === scale) return p;
    p?.dispose();
    return (this.projector = new BackProjector(this.rt, lr.height, lr.width, scale));
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
    this.projector?.dispose();
    this.projector = null;
  }
}

/** E(x) = |Y(D·x) − y| (3×3 max): how far an HR frame's downscale is from the LR luma y. */
function lrDisagreement(rt: Runtime, projector: BackProjector, y: Tensor, hr: Tensor): Tensor {
  const down = projector.downscale(hr);
  const yd = luma(rt, down);
  const e = warpError(rt, y, yd);
  down.dispose();
  yd.dispose();
  return e;
}

/** max(0, E(candidate) − E(sr)): what the candidate gets wrong about the LR frame beyond the SR frame. */
function excessDisagreement(rt: Runtime, projector: BackProjector, y: Tensor, candidate: Tensor, sr: Tensor): Tensor {
  const [ec, es] = [lrDisagreement(rt, projector, y, candidate), lrDisagreement(rt, projector, y, sr)];
  const d = axpby(rt, ec, es, 1, -1);
  const excess = clamp(rt, d, 0, 255);
  for (const t of [ec, es, d]) t.dispose();
  return excess;
}
