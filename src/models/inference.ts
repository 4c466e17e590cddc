// The generator compiled for inference: the same layers (srresnet.ts) with batch norm folded
// into the preceding convolution, PReLU / tanh fused into the convolution's epilogue and the
// pixel shuffle into its store, run off the tape so that each intermediate is released once the
// next stage has consumed it. In two parts, as src/inference/plan.ts tiles them: the
// low-resolution features of a region, and the upsampling tail of a band. Same numbers as
// Generator.eval().forward, fewer passes.

import * as conv from '../kernels/conv2d/index.ts';
import * as elementwise from '../kernels/elementwise.ts';
import { type Band, generatorParts, paddingFor, type Parts, planBand, type Rect, type TailStep } from '../inference/plan.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { HostTensor, Tensor } from '../graph/tensor.ts';
import { bicubicSkipKernel } from './bicubic-skip.ts';
import type { GeneratorConfig, Generator as TrainedGenerator } from './generator.ts';
import { type ConvStage, type Layer, srresnetLayers, stagesOf } from './srresnet.ts';

interface Stage {
  w: Tensor;
  b: Tensor;
  epilogue: conv.Epilogue;
}

type Weights = Map<string, HostTensor>;

/** A generator tensor by name, or an error naming it. */
export function need(w: Weights, name: string): HostTensor {
  const t = w.get(name);
  if (!t) throw new Error(`generator weights lack ${name}`);
  return t;
}

/** Fold an eval-mode batch norm (gamma, beta, mean, var) into the conv before it (HWIO, f64 math). */
export function foldBatchNorm(w: HostTensor, b: HostTensor | undefined, weights: Weights, bn: string, eps = 1e-5): { w: HostTensor; b: HostTensor } {
  const gamma = need(weights, `${bn}.gamma`).data, beta = need(weights, `${bn}.beta`).data;
  const mean = need(weights, `${bn}.running_mean`).data, variance = need(weights, `${bn}.running_var`).data;
  const cout = w.shape[3]!;
  const scale = Array.from({ length: cout }, (_, c) => gamma[c]! / Math.sqrt(variance[c]! + eps));
  const wf = new Float32Array(w.data.length);
  for (let i = 0; i < w.data.length; i++) wf[i] = w.data[i]! * scale[i % cout]!;
  const bf = new Float32Array(cout);
  for (let c = 0; c < cout; c++) bf[c] = ((b ? b.data[c]! : 0) - mean[c]!) * scale[c]! + beta[c]!;
  return { w: { shape: w.shape, data: wf }, b: { shape: [cout], data: bf } };
}

export class InferenceGenerator {
  private readonly parts: Parts;
  private readonly stages = new Map<string, Stage>();
  private readonly skip: { w: Tensor; r: number } | null;

  constructor(
    readonly rt: Runtime,
    readonly config: GeneratorConfig,
    weights: Weights,
  ) {
    const c = config;
    this.parts = generatorParts(c);
    for (const s of stagesOf(srresnetLayers(c))) this.stages.set(s.conv, fuse(rt, s, weights));
    const skip = c.skip === 'bicubic' ? bicubicSkipKernel(c.scale) : null;
    this.skip = skip ? { w: rt.tensor([skip.k, skip.k, 3, 3 * c.scale ** 2], skip.data), r: (skip.k - 1) / 2 } : null;
  }

  static async fromGenerator(g: TrainedGenerator): Promise<InferenceGenerator> {
    return new InferenceGenerator(g.rt, g.config, await g.snapshot());
  }

  /** x: [1, H, W, 3] RGB in [0,1] → [1, H·scale, W·scale, 3], the whole image at once. The caller keeps x. */
  forward(x: Tensor): Tensor {
    const [, H, W] = x.shape as [number, number, number, number];
    const image = { x0: 0, y0: 0, x1: W, y1: H };
    const steps = this.features(x);
    let r = steps.next();
    while (!r.done) r = steps.next();
    const features = r.value;
    const tail = this.band(features, image, x, image, planBand(this.config, W, H, { x0: 0, y0: 0, x1: W * this.config.scale, y1: H * this.config.scale }));
    let t = tail.next();
    while (!t.done) t = tail.next();
    features.dispose();
    return t.value;
  }

  /**
   * The low-resolution part on x [1, h, w, 3] (zero padding at its edges): head, residual
   * blocks, post conv, + the head's output → [1, h, w, C]. Yields after queueing each conv (in
   * stagesOf order) so that a caller can wait for the GPU, report progress and stop there.
   * The caller keeps x.
   */
  *features(x: Tensor): Generator<ConvStage, Tensor, void> {
    return yield* this.chain(this.parts.lowRes, x);
  }

  /** Layers in sequence on h (kept); each intermediate is released once the next has consumed
   *  it, or when the caller stops the generator early (return()). */
  private *chain(layers: Layer[], h: Tensor): Generator<ConvStage, Tensor, void> {
    let cur = h;
    try {
      for (const l of layers) {
        const y = 'residual' in l ? yield* this.residual(l.residual, cur) : this.conv(l, cur);
        if (cur !== h) cur.dispose();
        cur = y;
        if (!('residual' in l)) yield l;
      }
      const out = cur;
      cur = h; // handed to the caller
      return out;
    } finally {
      if (cur !== h) cur.dispose();
    }
  }

  /** h + the layers on h. */
  private *residual(layers: Layer[], h: Tensor): Generator<ConvStage, Tensor, void> {
    const inner = yield* this.chain(layers, h);
    try {
      return elementwise.add(this.rt, h, inner);
    } finally {
      inner.dispose();
    }
  }

  /**
   * The upsampling tail of one band → [1, out.h, out.w, 3]: `features` holds the features of
   * LR rectangle `fRect` and x the input pixels of `xRect` (both kept by the caller); each conv
   * computes exactly its planned rectangle (plan.ts). Yields after queueing each conv, like
   * features(), and frees what it holds when stopped early.
   */
  *band(features: Tensor, fRect: Rect, x: Tensor, xRect: Rect, band: Band): Generator<TailStep, Tensor, void> {
    let h = features, have = fRect, complete = false;
    try {
      for (const step of band.steps) {
        const s = step.stage;
        const up = s.shuffle ? 2 : 1;
        const o = { x0: step.out.x0 / up, y0: step.out.y0 / up, x1: step.out.x1 / up, y1: step.out.y1 / up };
        const y = this.conv(s, h, paddingFor(have, o, (s.k - 1) / 2));
        if (h !== features) h.dispose();
        h = y;
        have = step.out;
        yield step;
      }
      complete = true;
    } finally {
      if (!complete && h !== features) h.dispose(); // stopped early (return()) or failed
    }
    const out = this.config.head === 'linear' ? h : elementwise.affine(this.rt, h, 0.5, 0.5);
    if (out !== h) h.dispose();
    if (this.skip) {
      const s = this.config.scale;
      const lr = { x0: band.out.x0 / s, y0: band.out.y0 / s, x1: band.out.x1 / s, y1: band.out.y1 / s };
      const bicubic = conv.conv2d(this.rt, x, this.skip.w, null, { padding: paddingFor(xRect, lr, this.skip.r), shuffle: s });
      elementwise.accumulate(this.rt, out, bicubic);
      bicubic.dispose();
    }
    return out;
  }

  /** The fused conv (BN folded, activation in the epilogue, the shuffle in its store). */
  private conv(s: ConvStage, h: Tensor, padding?: conv.Padding): Tensor {
    const f = this.stages.get(s.conv)!;
    return conv.conv2d(this.rt, h, f.w, f.b, { stride: 1, epilogue: f.epilogue, padding, shuffle: s.shuffle ? 2 : undefined });
  }

  dispose(): void {
    for (const s of this.stages.values()) {
      s.w.dispose();
      s.b.dispose();
      if (s.epilogue.kind === 'prelu') s.epilogue.alpha.dispose();
    }
    this.skip?.w.dispose();
  }
}

/** One stage's conv with its batch norm folded in and its activation as the epilogue. Before a
 *  pixel shuffle the PReLU runs on the conv's channels: channel k becomes output channel
 *  floor(k / 4), so each slope repeats 4 times. */
function fuse(rt: Runtime, s: ConvStage, weights: Weights): Stage {
  let w = need(weights, `${s.conv}.w`);
  let b = weights.get(`${s.conv}.b`);
  if (s.bn) ({ w, b } = foldBatchNorm(w, b, weights, s.bn));
  const bias = b ?? { shape: [w.shape[3]!], data: new Float32Array(w.shape[3]!) };
  return { w: rt.tensor(w.shape, w.data), b: rt.tensor(bias.shape, bias.data), epilogue: epilogue(rt, s, weights) };
}

function epilogue(rt: Runtime, s: ConvStage, weights: Weights): conv.Epilogue {
  if (s.act.kind !== 'prelu') return { kind: s.act.kind };
  const a = need(weights, `${s.act.name}.alpha`).data;
  const repeat = s.shuffle ? 4 : 1;
  const data = a.length === 1 ? a : Float32Array.from({ length: a.length * repeat }, (_, k) => a[Math.floor(k / repeat)]!);
  return { kind: 'prelu', alpha: rt.tensor([data.length], data) };
}
