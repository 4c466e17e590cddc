// A viVID generator as an ONNX model, from the same layer list the engine runs (srresnet.ts):
// Conv (batch norm folded in, HWIO → OIHW), DepthToSpace in CRD mode for the pixel shuffle
// (PyTorch's channel order c·r² + i·r + j, which is ours), PRelu, Tanh, Add for the residuals,
// Mul/Add for the output head. Input [N, 3, H, W] RGB in [0,1], output [N, 3, s·H, s·W]
// (not clamped, as the generator's own output); N, H and W are dynamic.
//
// The bicubic skip is written as the fixed conv + DepthToSpace that the engine runs, not as
// Resize: ONNX's cubic Resize (cubic_coeff_a −0.5, half_pixel) gives the same values inside,
// but within two LR pixels of the border it replicates the edge where our skip sees zero
// padding (onnxruntime 1.30, ×4 of a 6×7 image with values in 0..1: identical in the interior,
// up to 0.35 apart at the borders). Browser-safe (no Node modules).

import { encodeOnnx, type OnnxInitializer, type OnnxModel, type OnnxNode } from '../io/onnx.ts';
import type { HostTensor } from '../graph/tensor.ts';
import { bicubicSkipKernel } from './bicubic-skip.ts';
import type { GeneratorConfig } from './generator.ts';
import { foldBatchNorm, need } from './inference.ts';
import { hwioToOihw } from './pytorch-import.ts';
import { type ConvStage, type Layer, srresnetLayers } from './srresnet.ts';

export interface OnnxExportOptions {
  /** Stored in the model's producer_version. */
  producerVersion?: string;
  /** Extra metadata_props (the config is always stored as vivid.config). */
  metadata?: Record<string, string>;
}


/** Builds the graph: each helper appends nodes and returns the name of its output. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  private count = 0;

  constant(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({ name, dims, data });
    return name;
  }

  op(op: string, inputs: string[], attrs?: OnnxNode['attrs']): string {
    const out = `t${this.count++}`;
    this.nodes.push({ op, inputs, outputs: [out], attrs });
    return out;
  }

  conv(x: string, name: string, w: HostTensor, b: HostTensor | undefined): string {
    const k = w.shape[0]!, p = (k - 1) / 2;
    const { shape: dims, data } = hwioToOihw(w);
    const inputs = [x, this.constant(`${name}.weight`, [...dims], data)];
    if (b) inputs.push(this.constant(`${name}.bias`, [b.data.length], b.data));
    return this.op('Conv', inputs, { kernel_shape: [k, k], pads: [p, p, p, p], strides: [1, 1] });
  }

  depthToSpace(x: string, r: number): string {
    return this.op('DepthToSpace', [x], { blocksize: r, mode: 'CRD' });
  }
}

function stage(g: GraphBuilder, s: ConvStage, x: string, weights: Map<string, HostTensor>): string {
  let w = need(weights, `${s.conv}.w`);
  let b = weights.get(`${s.conv}.b`);
  if (s.bn) ({ w, b } = foldBatchNorm(w, b, weights, s.bn));
  let h = g.conv(x, s.conv, w, b);
  if (s.shuffle) h = g.depthToSpace(h, 2);
  if (s.act.kind === 'tanh') return g.op('Tanh', [h]);
  if (s.act.kind === 'none') return h;
  const a = need(weights, `${s.act.name}.alpha`).data;
  // PRelu broadcasts its slope from the right: [C, 1, 1] per channel, [1] shared.
  return g.op('PRelu', [h, g.constant(`${s.act.name}.slope`, a.length === 1 ? [1] : [a.length, 1, 1], a)]);
}

function layers(g: GraphBuilder, list: Layer[], x: string, weights: Map<string, HostTensor>): string {
  let h = x;
  for (const l of list) h = 'residual' in l ? g.op('Add', [h, layers(g, l.residual, h, weights)]) : stage(g, l, h, weights);
  return h;
}

/** Interleaved [n, h, w, c] (viVID's layout) → planar [n, c, h, w] (the ONNX model's). */
export function toNchw(x: Float32Array, n: number, h: number, w: number, c = 3): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) out[(b * c + k) * h * w + p] = x[(b * h * w + p) * c + k]!;
  return out;
}

/** Planar [n, c, h, w] → interleaved [n, h, w, c]. */
export function fromNchw(x: Float32Array, n: number, h: number, w: number, c = 3): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) out[(b * h * w + p) * c + k] = x[(b * c + k) * h * w + p]!;
  return out;
}

/** The generator as ONNX model bytes (opset 13). */
export function generatorToOnnx(gen: { config: GeneratorConfig; weights: Map<string, HostTensor> }, opts: OnnxExportOptions = {}): Uint8Array {
  const c = gen.config;
  const g = new GraphBuilder();
  let y = layers(g, srresnetLayers(c), 'input', gen.weights);
  if (c.head !== 'linear') {
    const half = g.constant('head.half', [], Float32Array.of(0.5));
    y = g.op('Add', [g.op('Mul', [y, half]), half]); // (y + 1) / 2, of tanh(y) for the tanh head
  }
  if (c.skip === 'bicubic') {
    const skip = bicubicSkipKernel(c.scale);
    const w = { shape: [skip.k, skip.k, 3, 3 * c.scale ** 2], data: skip.data };
    y = g.op('Add', [y, g.depthToSpace(g.conv('input', 'skip.bicubic', w, undefined), c.scale)]);
  }
  g.nodes.at(-1)!.outputs = ['output'];
  const model: OnnxModel = {
    graphName: 'vivid_generator',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: 'input', dims: ['N', 3, 'H', 'W'] }],
    outputs: [{ name: 'output', dims: ['N', 3, `H*${c.scale}`, `W*${c.scale}`] }],
    producer: { name: 'vivid-sr', version: opts.producerVersion ?? '' },
    doc: `viVID SRResNet generator ×${c.scale} (${c.blocks} blocks, ${c.channels} channels). input: [N,3,H,W] RGB in [0,1]; output: [N,3,${c.scale}H,${c.scale}W] RGB, nominally [0,1] (clamp before quantising).`,
    metadata: { 'vivid.config': JSON.stringify(c), ...opts.metadata },
  };
  return encodeOnnx(model);
}
