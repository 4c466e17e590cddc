// The generator compiled for inference: the same layers (srresnet.ts) with batch norm folded
// into the preceding convolution and PReLU / tanh fused into the convolution's epilogue, run
// off the tape so that each intermediate is released once the next stage has consumed it.
// Same numbers as Generator.eval().forward, fewer passes.

import * as op from '../autograd/ops.ts';
import { compute, constant, owned, type Var } from '../autograd/tape.ts';
import * as conv from '../kernels/conv2d/index.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { HostTensor, Tensor } from '../graph/tensor.ts';
import { bicubicSkipKernel } from './bicubic-skip.ts';
import type { Generator, GeneratorConfig } from './generator.ts';
import { type ConvStage, type Layer, srresnetForward, srresnetLayers, stagesOf } from './srresnet.ts';

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
  private readonly layers: Layer[];
  private readonly stages = new Map<string, Stage>();
  private readonly skip: Var | null;

  constructor(
    readonly rt: Runtime,
    readonly config: GeneratorConfig,
    weights: Weights,
  ) {
    const c = config;
    this.layers = srresnetLayers(c);
    for (const s of stagesOf(this.layers)) this.stages.set(s.conv, fuse(rt, s, weights));
    const skip = c.skip === 'bicubic' ? bicubicSkipKernel(c.scale) : null;
    this.skip = skip ? constant(rt.tensor([skip.k, skip.k, 3, 3 * c.scale ** 2], skip.data)) : null;
  }

  static async fromGenerator(g: Generator): Promise<InferenceGenerator> {
    return new InferenceGenerator(g.rt, g.config, await g.snapshot());
  }

  /** x: [N, H, W, 3] RGB in [0,1] → [N, H·scale, W·scale, 3]. The caller keeps x. */
  forward(x: Tensor): Tensor {
    return compute(() => srresnetForward(this.config, this.layers, constant(x), (s, h) => this.stage(s, h), this.skip));
  }

  /** The fused conv (BN folded, activation in the epilogue), then the pixel shuffle. */
  private stage(s: ConvStage, h: Var): Var {
    const f = this.stages.get(s.conv)!;
    const y = owned(conv.conv2d(this.rt, h.value, f.w, f.b, { stride: 1, epilogue: f.epilogue }));
    return s.shuffle ? op.pixelShuffle(y, 2) : y;
  }

  dispose(): void {
    for (const s of this.stages.values()) {
      s.w.dispose();
      s.b.dispose();
      if (s.epilogue.kind === 'prelu') s.epilogue.alpha.dispose();
    }
    this.skip?.value.dispose();
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
