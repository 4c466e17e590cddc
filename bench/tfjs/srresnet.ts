// The SRResNet generator (SRGAN's G) in TensorFlow.js ops, for timing tfjs against viVID.
//
// Layout: activations NHWC, conv weights HWIO [kh, kw, cin, cout] (viVID's layout), all f32.
// Weight names (C = cfg.channels, i = 0..blocks-1, j = 0..upsamples-1):
//   head.conv.w [9,9,3,C]   head.conv.b [C]   head.prelu.alpha [C]
//   blocks.{i}.conv1.w [3,3,C,C]  blocks.{i}.conv1.b [C]   (bias optional)
//   blocks.{i}.bn1.gamma / .beta / .mean / .var [C]        (mean/var = running statistics)
//   blocks.{i}.prelu.alpha [C]
//   blocks.{i}.conv2.w / .b, blocks.{i}.bn2.{gamma,beta,mean,var}
//   trunk.conv.w [3,3,C,C]  trunk.conv.b [C] (optional)    trunk.bn.{gamma,beta,mean,var}
//   up.{j}.conv.w [3,3,C,4C]   up.{j}.conv.b [4C]   up.{j}.prelu.alpha [C]
//   tail.conv.w [9,9,C,3]   tail.conv.b [3]
// A PReLU alpha may also have shape [1] (one shared slope).
//
// Graph: h = prelu(conv9(x)); r = h; 16 × { r = r + bn2(conv2(prelu(bn1(conv1(r))))) };
// r = h + bn(conv(r)); 2 × { r = prelu(pixelShuffle2(conv(r))) }; y = conv9(r);
// out = (y + 1) / 2 ('linear') or (tanh(y) + 1) / 2 ('tanh').
//
// Pixel shuffle uses PyTorch's channel order: out[2y+i, 2x+j, c] = in[y, x, 4c + 2i + j].
// tf.depthToSpace reads in[y, x, (2i + j)·C + c] instead, so the up convs' output channels
// (and biases) are permuted once when the parameters are prepared; the weight map itself
// stays in PyTorch order. pixelShuffleTorch() is the literal definition, used by check-model.
import type { Tensor, Tensor1D, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import type { Tf } from './backends.ts';
import { conv2dSame } from './conv.ts';
import { Rng, product } from './util.ts';

export interface WeightTensor {
  shape: readonly number[];
  data: Float32Array;
}
export type WeightMap = Map<string, WeightTensor>;

export interface SrResNetConfig {
  channels: number;
  blocks: number;
  upsamples: number;
  output: 'linear' | 'tanh';
  bnEps: number;
}

export const SRRESNET: SrResNetConfig = { channels: 64, blocks: 16, upsamples: 2, output: 'tanh', bnEps: 1e-5 };

/** Every weight name with its shape (biases of the residual convs included). */
export function weightShapes(cfg: SrResNetConfig): Map<string, number[]> {
  const C = cfg.channels;
  const m = new Map<string, number[]>();
  const conv = (p: string, k: number, cin: number, cout: number) => {
    m.set(`${p}.w`, [k, k, cin, cout]);
    m.set(`${p}.b`, [cout]);
  };
  const bn = (p: string) => {
    for (const s of ['gamma', 'beta', 'mean', 'var']) m.set(`${p}.${s}`, [C]);
  };
  conv('head.conv', 9, 3, C);
  m.set('head.prelu.alpha', [C]);
  for (let i = 0; i < cfg.blocks; i++) {
    conv(`blocks.${i}.conv1`, 3, C, C);
    bn(`blocks.${i}.bn1`);
    m.set(`blocks.${i}.prelu.alpha`, [C]);
    conv(`blocks.${i}.conv2`, 3, C, C);
    bn(`blocks.${i}.bn2`);
  }
  conv('trunk.conv', 3, C, C);
  bn('trunk.bn');
  for (let j = 0; j < cfg.upsamples; j++) {
    conv(`up.${j}.conv`, 3, C, 4 * C);
    m.set(`up.${j}.prelu.alpha`, [C]);
  }
  conv('tail.conv', 9, C, 3);
  return m;
}

/** Seeded random weights of the right shapes: convs U(±1/√fan_in) like PyTorch, non-trivial BN. */
export function randomWeights(cfg: SrResNetConfig, seed: number): WeightMap {
  const rng = new Rng(seed);
  const out: WeightMap = new Map();
  const shapes = weightShapes(cfg);
  for (const [name, shape] of shapes) {
    const n = product(shape);
    let data: Float32Array;
    const field = name.slice(name.lastIndexOf('.') + 1);
    if (field === 'w' || field === 'b') {
      const wShape = field === 'w' ? shape : shapes.get(name.slice(0, -1) + 'w')!;
      const bound = 1 / Math.sqrt(wShape[0]! * wShape[1]! * wShape[2]!);
      data = rng.uniformArray(n, -bound, bound);
    } else if (field === 'gamma') data = rng.uniformArray(n, 0.8, 1.2);
    else if (field === 'beta' || field === 'mean') data = rng.normal(n, 0.1);
    else if (field === 'var') data = rng.uniformArray(n, 0.5, 1.5);
    else data = rng.uniformArray(n, 0.1, 0.3); // prelu alpha
    out.set(name, { shape, data });
  }
  return out;
}

/** Literal PyTorch pixel shuffle on NHWC: out[n, 2y+i, 2x+j, c] = in[n, y, x, 4c+2i+j]. */
export function pixelShuffleTorch(tf: Tf, x: Tensor4D, r = 2): Tensor4D {
  const [n, h, w, c4] = x.shape;
  const c = c4 / (r * r);
  const t = tf.transpose(tf.reshape(x, [n, h, w, c, r, r]), [0, 1, 4, 2, 5, 3]);
  return tf.reshape(t, [n, h * r, w * r, c]);
}

/** tf.depthToSpace(x, 2) (TF channel order) from reshape/transpose, which have gradients
 *  (tfjs 4.22 registers none for DepthToSpace). */
function depthToSpaceDifferentiable(tf: Tf, x: Tensor4D, r = 2): Tensor4D {
  const [n, h, w, c4] = x.shape;
  const c = c4 / (r * r);
  const t = tf.transpose(tf.reshape(x, [n, h, w, r, r, c]), [0, 1, 3, 2, 4, 5]);
  return tf.reshape(t, [n, h * r, w * r, c]);
}

/** Index map so that depthToSpace after gathering channels equals pixelShuffleTorch. */
function depthToSpaceOrder(c: number, r = 2): Int32Array {
  const idx = new Int32Array(c * r * r);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < r; j++) for (let k = 0; k < c; k++) idx[(i * r + j) * c + k] = k * r * r + i * r + j;
  return idx;
}

function gatherLastAxis(data: Float32Array, order: Int32Array): Float32Array {
  const n = order.length;
  const out = new Float32Array(data.length);
  for (let base = 0; base < data.length; base += n) for (let k = 0; k < n; k++) out[base + k] = data[base + order[k]!]!;
  return out;
}

/** Prepared parameters, tfjs tensors keyed by weight name (up convs in depthToSpace order). */
export type Params = Map<string, Tensor>;

function get(p: Params, name: string): Tensor {
  const t = p.get(name);
  if (!t) throw new Error(`SRResNet parameter ${name} is missing`);
  return t;
}

/**
 * Uploads a weight map. With fold = true (inference only) each eval-mode batch norm is folded
 * into the conv before it (w·γ/√(σ²+ε), (b−μ)·γ/√(σ²+ε)+β), and every conv can then run as one
 * tf.fused.conv2d with its bias and PReLU; the up convs' PReLU slopes are tiled to 4C channels.
 * With asVariables = true every tensor is a tf.Variable (for training).
 */
export function prepareParams(tf: Tf, weights: WeightMap, cfg: SrResNetConfig, opts: { fold?: boolean; asVariables?: boolean } = {}): Params {
  const C = cfg.channels;
  const p: Params = new Map();
  const order = depthToSpaceOrder(C);
  tf.tidy(() => {
    for (const [name, w] of weights) {
      const expect = weightShapes(cfg).get(name);
      const shape = [...w.shape];
      const sharedAlpha = name.endsWith('prelu.alpha') && product(shape) === 1;
      if (!expect) throw new Error(`unknown SRResNet weight ${name}`);
      if (!sharedAlpha && expect.join(',') !== shape.join(',')) throw new Error(`${name}: shape [${shape}] ≠ [${expect}]`);
      // Permuted on the host: tfjs-wasm's Gather leaves a stale rank-4 shape on a 1-D result,
      // which its FusedConv2D then rejects as a bias.
      const data = /^up\.\d+\.conv\.[wb]$/.test(name) ? gatherLastAxis(w.data, order) : w.data;
      p.set(name, tf.tensor(data, shape, 'float32'));
    }
    if (opts.fold) foldBatchNorms(tf, p, cfg);
    for (const [name, t] of p) p.set(name, opts.asVariables ? tf.variable(t, true, name) : tf.keep(t));
  });
  return p;
}

function foldBatchNorms(tf: Tf, p: Params, cfg: SrResNetConfig): void {
  const pairs: Array<[string, string]> = [['trunk.conv', 'trunk.bn']];
  for (let i = 0; i < cfg.blocks; i++) pairs.push([`blocks.${i}.conv1`, `blocks.${i}.bn1`], [`blocks.${i}.conv2`, `blocks.${i}.bn2`]);
  for (const [conv, bn] of pairs) {
    const scale = tf.div(get(p, `${bn}.gamma`), tf.sqrt(tf.add(get(p, `${bn}.var`), cfg.bnEps)));
    const b = p.get(`${conv}.b`) ?? tf.zerosLike(scale);
    p.set(`${conv}.w`, tf.mul(get(p, `${conv}.w`), scale));
    p.set(`${conv}.b`, tf.add(tf.mul(tf.sub(b, get(p, `${bn}.mean`)), scale), get(p, `${bn}.beta`)));
    for (const s of ['gamma', 'beta', 'mean', 'var']) p.delete(`${bn}.${s}`);
  }
  for (let j = 0; j < cfg.upsamples; j++) {
    const a = get(p, `up.${j}.prelu.alpha`);
    if (a.size > 1) p.set(`up.${j}.prelu.alpha`, tf.tile(a, [4]));
  }
}

export type Mode = 'eval' | 'train' | 'folded';

/** Forward pass. 'eval': running BN statistics; 'train': batch statistics (tf.moments);
 *  'folded': params from prepareParams(..., { fold: true }), fused conv+bias+PReLU. */
export function forward(tf: Tf, p: Params, x: Tensor4D, cfg: SrResNetConfig, mode: Mode): Tensor4D {
  const folded = mode === 'folded';
  const conv = (name: string, h: Tensor4D, alpha?: Tensor): Tensor4D => {
    const b = p.get(`${name}.b`) as Tensor1D | undefined;
    const w = get(p, `${name}.w`) as Tensor4D;
    if (folded) {
      return tf.fused.conv2d({ x: h, filter: w, strides: 1, pad: 'same', bias: b, activation: alpha ? 'prelu' : 'linear', preluActivationWeights: alpha });
    }
    const y = conv2dSame(tf, h, w);
    return b ? tf.add(y, b) : y;
  };
  const bn = (name: string, h: Tensor4D): Tensor4D => {
    if (folded) return h;
    const gamma = get(p, `${name}.gamma`) as Tensor1D;
    const beta = get(p, `${name}.beta`) as Tensor1D;
    if (mode === 'train') {
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      return tf.batchNorm4d(h, mean as Tensor1D, variance as Tensor1D, beta, gamma, cfg.bnEps);
    }
    return tf.batchNorm4d(h, get(p, `${name}.mean`) as Tensor1D, get(p, `${name}.var`) as Tensor1D, beta, gamma, cfg.bnEps);
  };
  const prelu = (name: string, h: Tensor4D): Tensor4D => tf.prelu(h, get(p, `${name}.alpha`)) as Tensor4D;
  const convPrelu = (c: string, a: string, h: Tensor4D) => (folded ? conv(c, h, get(p, `${a}.alpha`)) : prelu(a, conv(c, h)));

  const head = convPrelu('head.conv', 'head.prelu', x);
  let r = head;
  for (let i = 0; i < cfg.blocks; i++) {
    const b = `blocks.${i}`;
    const t = folded ? conv(`${b}.conv1`, r, get(p, `${b}.prelu.alpha`)) : prelu(`${b}.prelu`, bn(`${b}.bn1`, conv(`${b}.conv1`, r)));
    r = tf.add(r, bn(`${b}.bn2`, conv(`${b}.conv2`, t)));
  }
  r = tf.add(head, bn('trunk.bn', conv('trunk.conv', r)));
  for (let j = 0; j < cfg.upsamples; j++) {
    // PReLU is per element with a per-channel slope, so it commutes with the shuffle: folded
    // mode applies it (tiled slopes) inside the conv, before depthToSpace.
    if (folded) r = tf.depthToSpace(conv(`up.${j}.conv`, r, get(p, `up.${j}.prelu.alpha`)), 2);
    else {
      const c = conv(`up.${j}.conv`, r);
      r = prelu(`up.${j}.prelu`, mode === 'train' ? depthToSpaceDifferentiable(tf, c) : tf.depthToSpace(c, 2));
    }
  }
  const y = conv('tail.conv', r);
  return tf.div(tf.add(cfg.output === 'tanh' ? tf.tanh(y) : y, 1), 2);
}

/** Inference: forward in a tidy scope; the caller disposes the result. */
export function infer(tf: Tf, p: Params, x: Tensor4D, cfg: SrResNetConfig, folded: boolean): Tensor4D {
  return tf.tidy(() => forward(tf, p, x, cfg, folded ? 'folded' : 'eval'));
}

/** Names of the trainable parameters (BN running statistics are not). */
export function trainableNames(p: Params): string[] {
  return [...p.keys()].filter((n) => !/\.(mean|var)$/.test(n));
}

/**
 * One MSE training step: forward with batch-norm in training mode (batch statistics; the running
 * statistics are not updated), backward through tf.Optimizer.minimize, Adam update of every
 * trainable variable. Resolves to the loss once all the step's GPU work has finished.
 */
export function makeTrainStep(tf: Tf, p: Params, cfg: SrResNetConfig, learningRate = 1e-4) {
  const optimizer = tf.train.adam(learningRate);
  const varList = trainableNames(p).map((n) => get(p, n) as Variable);
  return async (lr: Tensor4D, hr: Tensor4D): Promise<number> => {
    const loss = optimizer.minimize(() => tf.mean(tf.squaredDifference(forward(tf, p, lr, cfg, 'train'), hr)), true, varList);
    // Reading the loss submits everything recorded so far (the Adam updates included) and
    // waits for the queue; reading one updated variable makes that explicit on any backend.
    const value = (await loss!.data())[0]!;
    const probe = tf.slice(varList[varList.length - 1]!, [0], [1]);
    await probe.data();
    probe.dispose();
    loss!.dispose();
    return value;
  };
}
