// The generator compiled for inference: batch norm folded into the preceding convolution,
// PReLU / tanh fused into the convolution's epilogue, and every intermediate released as soon
// as the next stage has consumed it. Same numbers as Generator.eval().forward, fewer passes.

import * as conv from '../kernels/conv2d.ts';
import { add, affine } from '../kernels/elementwise.ts';
import { pixelShuffle } from '../kernels/pixelshuffle.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';
import { bicubicSkipKernel } from './bicubic-skip.ts';
import type { Generator, GeneratorConfig } from './generator.ts';
import type { HostTensor } from './pytorch-import.ts';

interface Stage {
  w: Tensor;
  b: Tensor;
  epilogue: conv.Epilogue;
}

type Weights = Map<string, HostTensor>;

function need(w: Weights, name: string): HostTensor {
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
  private readonly head: Stage;
  private readonly blocks: Array<[Stage, Stage]>;
  private readonly post: Stage;
  private readonly up: Stage[];
  private readonly tail: Stage;
  private readonly skip: Tensor | null;

  constructor(
    readonly rt: Runtime,
    readonly config: GeneratorConfig,
    weights: Weights,
  ) {
    const c = config;
    const prelu = (name: string, repeat = 1): conv.Epilogue => {
      const a = need(weights, name).data;
      // Before a pixel shuffle, conv channel k becomes output channel floor(k / r²): repeat slopes.
      const data = a.length === 1 ? a : Float32Array.from({ length: a.length * repeat }, (_, k) => a[Math.floor(k / repeat)]!);
      return { kind: 'prelu', alpha: rt.tensor([data.length], data) };
    };
    const stage = (prefix: string, bn: string | null, epilogue: conv.Epilogue): Stage => {
      let w = need(weights, `${prefix}.w`);
      let b = weights.get(`${prefix}.b`);
      if (bn && c.batchNorm) ({ w, b } = foldBatchNorm(w, b, weights, bn));
      const bias = b ?? { shape: [w.shape[3]!], data: new Float32Array(w.shape[3]!) };
      return { w: rt.tensor(w.shape, w.data), b: rt.tensor(bias.shape, bias.data), epilogue };
    };
    this.head = stage('head.conv', null, prelu('head.prelu.alpha'));
    this.blocks = Array.from({ length: c.blocks }, (_, i) => [
      stage(`blocks.${i}.conv1`, `blocks.${i}.bn1`, prelu(`blocks.${i}.prelu.alpha`)),
      stage(`blocks.${i}.conv2`, `blocks.${i}.bn2`, { kind: 'none' }),
    ]);
    this.post = c.post === 'conv-bn' ? stage('post.conv', 'post.bn', { kind: 'none' }) : stage('post.conv', null, prelu('post.prelu.alpha'));
    this.up = Array.from({ length: Math.log2(c.scale) }, (_, j) => stage(`up.${j}.conv`, null, prelu(`up.${j}.prelu.alpha`, 4)));
    this.tail = stage('tail.conv', null, c.head === 'tanh' ? { kind: 'tanh' } : { kind: 'none' });
    const skip = c.skip === 'bicubic' ? bicubicSkipKernel(c.scale) : null;
    this.skip = skip ? rt.tensor([skip.k, skip.k, 3, 3 * c.scale ** 2], skip.data) : null;
  }

  static async fromGenerator(g: Generator): Promise<InferenceGenerator> {
    return new InferenceGenerator(g.rt, g.config, await g.snapshot());
  }

  private run(s: Stage, x: Tensor): Tensor {
    return conv.conv2d(this.rt, x, s.w, s.b, { stride: 1, epilogue: s.epilogue });
  }

  /** x: [N, H, W, 3] RGB in [0,1] → [N, H·scale, W·scale, 3]. The caller keeps x. */
  forward(x: Tensor): Tensor {
    const rt = this.rt;
    const x0 = this.run(this.head, x);
    let h = x0;
    for (const [s1, s2] of this.blocks) {
      const t = this.run(s1, h);
      const u = this.run(s2, t);
      t.dispose();
      const next = add(rt, h, u);
      u.dispose();
      if (h !== x0) h.dispose();
      h = next;
    }
    const p = this.run(this.post, h);
    if (h !== x0) h.dispose();
    h = add(rt, x0, p);
    p.dispose();
    x0.dispose();
    for (const s of this.up) {
      const t = this.run(s, h);
      h.dispose();
      h = pixelShuffle(rt, t, 2);
      t.dispose();
    }
    const y = this.run(this.tail, h);
    h.dispose();
    // tanh head: (tanh(y)+1)/2 with tanh fused above; shift head: (y+1)/2.
    let out = y;
    if (this.config.head !== 'linear') {
      out = affine(rt, y, 0.5, 0.5);
      y.dispose();
    }
    if (!this.skip) return out;
    const phases = conv.conv2d(rt, x, this.skip, null);
    const up = pixelShuffle(rt, phases, this.config.scale);
    phases.dispose();
    const sum = add(rt, out, up);
    out.dispose();
    up.dispose();
    return sum;
  }

  dispose(): void {
    for (const s of [this.head, ...this.blocks.flat(), this.post, ...this.up, this.tail]) {
      s.w.dispose();
      s.b.dispose();
      if (s.epilogue.kind === 'prelu') s.epilogue.alpha.dispose();
    }
    this.skip?.dispose();
  }
}
