// Benchmark cases for tfjs. Each case builds its seeded inputs once, then run() does the work
// and resolves only when it has really finished: a 1-element slice of the result is read back,
// which on tfjs-webgpu submits every recorded command and waits for the queue (mapAsync).
// wasm and cpu compute synchronously. Output tensors are disposed after each run.
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf, TfjsInfo } from './backends.ts';
import { conv2dFilterGrad, conv2dInputGrad, hasKernel } from './conv.ts';
import { SRRESNET, infer, makeTrainStep, prepareParams, randomWeights, type SrResNetConfig, type WeightMap } from './srresnet.ts';
import { Rng, product, quantile } from './util.ts';

type Shape4 = [number, number, number, number];

export interface Prepared {
  run(): Promise<void>;
  /** Inputs and the output of one run, for comparing with viVID. */
  dump(): Promise<Map<string, { shape: number[]; data: Float32Array }>>;
  dispose(): void;
  /** How the case is computed when that is not the obvious kernel. */
  impl?: string;
}

export interface BenchCase {
  describe: string;
  /** Small enough for the plain-JS cpu backend. */
  small: boolean;
  setup(tf: Tf, info: TfjsInfo, opts: CaseOptions): Promise<Prepared>;
}

export interface CaseOptions {
  /** Generator: BN folded into convs + fused conv/bias/PReLU ('folded', default) or plain ops ('eval'). */
  genMode: 'folded' | 'eval';
  output: SrResNetConfig['output'];
  seed: number;
  /** Weights to use instead of seeded random ones. */
  weights?: WeightMap;
}

async function finish(tf: Tf, t: Tensor): Promise<void> {
  const probe = tf.slice(tf.reshape(t, [-1]), [0], [1]);
  await probe.data();
  probe.dispose();
}

async function host(t: Tensor): Promise<{ shape: number[]; data: Float32Array }> {
  return { shape: [...t.shape], data: Float32Array.from(await t.data()) };
}

function convCase(kind: 'fwd' | 'bwd-input' | 'bwd-filter', shape: Shape4): BenchCase {
  const [n, h, w, c] = shape;
  const wShape: Shape4 = [3, 3, c, c];
  return {
    describe: `conv 3×3 ${c}→${c} on [${shape}] ${kind === 'fwd' ? 'forward' : kind === 'bwd-input' ? 'gradient wrt input (Conv2DBackpropInput)' : 'gradient wrt filter (Conv2DBackpropFilter)'}`,
    small: n * h * w <= 96 * 96,
    async setup(tf, _info, opts) {
      const rng = new Rng(opts.seed);
      const a = tf.tensor4d(rng.normal(product(shape)), shape); // x, or dy for bwd-input
      const b = kind === 'bwd-filter' ? tf.tensor4d(rng.normal(product(shape)), shape) : tf.tensor4d(rng.normal(product(wShape), 1 / Math.sqrt(9 * c)), wShape);
      const compute = (): Tensor4D =>
        kind === 'fwd' ? tf.conv2d(a, b, 1, 'same') : kind === 'bwd-input' ? conv2dInputGrad(tf, a, b, shape) : conv2dFilterGrad(tf, a, b, wShape);
      const names = kind === 'fwd' ? ['x', 'w', 'y'] : kind === 'bwd-input' ? ['dy', 'w', 'dx'] : ['x', 'dy', 'dw'];
      return {
        impl: kind === 'bwd-filter' && !hasKernel(tf, 'Conv2DBackpropFilter') ? '9 shifted matmuls (no Conv2DBackpropFilter kernel)' : undefined,
        async run() {
          const y = compute();
          await finish(tf, y);
          y.dispose();
        },
        async dump() {
          const y = compute();
          const out = new Map([[names[0]!, await host(a)], [names[1]!, await host(b)], [names[2]!, await host(y)]]);
          y.dispose();
          return out;
        },
        dispose: () => tf.dispose([a, b]),
      };
    },
  };
}

function genCase(shape: Shape4): BenchCase {
  return {
    describe: `SRResNet ×4 inference on [${shape}] (16 blocks, 64 ch)`,
    small: product(shape) <= 64 * 64 * 3,
    async setup(tf, _info, opts) {
      const cfg: SrResNetConfig = { ...SRRESNET, output: opts.output };
      const folded = opts.genMode === 'folded';
      const params = prepareParams(tf, opts.weights ?? randomWeights(cfg, opts.seed), cfg, { fold: folded });
      const x = tf.tensor4d(new Rng(opts.seed + 1).uniformArray(product(shape), -1, 1), shape);
      return {
        impl: folded ? 'BN folded into convs; tf.fused.conv2d with bias+PReLU' : 'eval-mode BN, unfused ops',
        async run() {
          const y = infer(tf, params, x, cfg, folded);
          await finish(tf, y);
          y.dispose();
        },
        async dump() {
          const y = infer(tf, params, x, cfg, folded);
          const out = new Map([['input', await host(x)], ['output', await host(y)]]);
          y.dispose();
          return out;
        },
        dispose: () => tf.dispose([x, ...params.values()]),
      };
    },
  };
}

function trainCase(batch: number, size: number): BenchCase {
  const lrShape: Shape4 = [batch, size, size, 3];
  const hrShape: Shape4 = [batch, 4 * size, 4 * size, 3];
  return {
    describe: `SRResNet MSE training step, batch ${batch}, ${size}×${size} → ${4 * size}×${4 * size} (BN train mode, Adam)`,
    small: batch * size * size <= 4 * 24 * 24,
    async setup(tf, _info, opts) {
      const cfg: SrResNetConfig = { ...SRRESNET, output: opts.output };
      const params = prepareParams(tf, opts.weights ?? randomWeights(cfg, opts.seed), cfg, { asVariables: true });
      const rng = new Rng(opts.seed + 2);
      const lr = tf.tensor4d(rng.uniformArray(product(lrShape), -1, 1), lrShape);
      const hr = tf.tensor4d(rng.uniformArray(product(hrShape), 0, 1), hrShape);
      const step = makeTrainStep(tf, params, cfg, 1e-4);
      return {
        impl: hasKernel(tf, 'Conv2DBackpropFilter') ? undefined : 'conv filter gradient from 9 shifted matmuls',
        async run() {
          await step(lr, hr);
        },
        async dump() {
          const lastLoss = await step(lr, hr);
          return new Map([['loss', { shape: [1], data: Float32Array.of(lastLoss) }]]);
        },
        dispose: () => tf.dispose([lr, hr, ...params.values()]),
      };
    },
  };
}

export const CASES: Record<string, BenchCase> = {
  'conv-fwd': convCase('fwd', [16, 96, 96, 64]),
  'conv-bwd-input': convCase('bwd-input', [16, 96, 96, 64]),
  'conv-bwd-filter': convCase('bwd-filter', [16, 96, 96, 64]),
  'conv-fwd-small': convCase('fwd', [1, 96, 96, 64]),
  'conv-bwd-input-small': convCase('bwd-input', [1, 96, 96, 64]),
  'conv-bwd-filter-small': convCase('bwd-filter', [1, 96, 96, 64]),
  'gen-64': genCase([1, 64, 64, 3]),
  'gen-128': genCase([1, 128, 128, 3]),
  'gen-16x24': genCase([16, 24, 24, 3]),
  'train-step': trainCase(16, 24),
  'train-step-small': trainCase(2, 24),
};

export interface Timing {
  median_ms: number;
  p90_ms: number;
  min_ms: number;
  runs: number;
  warmup: number;
  first_ms: number;
  samples_ms: number[];
}

/** Warm-up runs (the first compiles shaders / pipelines and is reported as first_ms), then timed runs. */
export async function time(p: Prepared, runs: number, warmup: number): Promise<Timing> {
  let first = NaN;
  for (let i = 0; i < Math.max(1, warmup); i++) {
    const t0 = performance.now();
    await p.run();
    if (i === 0) first = performance.now() - t0;
  }
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await p.run();
    samples.push(performance.now() - t0);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    median_ms: r(quantile(sorted, 0.5)),
    p90_ms: r(quantile(sorted, 0.9)),
    min_ms: r(sorted[0]!),
    runs,
    warmup: Math.max(1, warmup),
    first_ms: r(first),
    samples_ms: samples.map(r),
  };
}
