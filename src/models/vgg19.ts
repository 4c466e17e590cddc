// VGG19 feature extractor for the content loss (Simonyan & Zisserman 2015), Keras layer names:
//   block1_conv1..2 (64) → pool → block2_conv1..2 (128) → pool → block3_conv1..4 (256) → pool → …
// Every conv is 3×3 'same' + ReLU; a named layer's feature is its ReLU output (the paper's
// VGG22 = block2_conv2, VGG54 = block5_conv4). Weights are frozen; gradients flow to the input.
// Preprocessing is Keras "caffe": RGB [0,1] → BGR · 255 − [103.939, 116.779, 123.68].

import * as op from '../autograd/ops.ts';
import { Var } from '../autograd/tape.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { HostTensor } from '../graph/tensor.ts';

export const VGG19_LAYERS: ReadonlyArray<{ name: string; cin: number; cout: number; poolAfter: boolean }> = [
  { name: 'block1_conv1', cin: 3, cout: 64, poolAfter: false },
  { name: 'block1_conv2', cin: 64, cout: 64, poolAfter: true },
  { name: 'block2_conv1', cin: 64, cout: 128, poolAfter: false },
  { name: 'block2_conv2', cin: 128, cout: 128, poolAfter: true },
  { name: 'block3_conv1', cin: 128, cout: 256, poolAfter: false },
  { name: 'block3_conv2', cin: 256, cout: 256, poolAfter: false },
  { name: 'block3_conv3', cin: 256, cout: 256, poolAfter: false },
  { name: 'block3_conv4', cin: 256, cout: 256, poolAfter: true },
  { name: 'block4_conv1', cin: 256, cout: 512, poolAfter: false },
  { name: 'block4_conv2', cin: 512, cout: 512, poolAfter: false },
  { name: 'block4_conv3', cin: 512, cout: 512, poolAfter: false },
  { name: 'block4_conv4', cin: 512, cout: 512, poolAfter: true },
  { name: 'block5_conv1', cin: 512, cout: 512, poolAfter: false },
  { name: 'block5_conv2', cin: 512, cout: 512, poolAfter: false },
  { name: 'block5_conv3', cin: 512, cout: 512, poolAfter: false },
  { name: 'block5_conv4', cin: 512, cout: 512, poolAfter: true },
];

const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];

export interface VggWeights {
  get(name: string): HostTensor | undefined;
}

export class Vgg19Features {
  private readonly convs: Array<{ name: string; w: Var; b: Var; poolAfter: boolean }> = [];
  /** Per-channel preprocessing as an eval-mode batch norm: x·255 − mean (gamma, beta, 0, 1). */
  private readonly pre: op.BatchNormState & { gamma: Var; beta: Var };

  /**
   * @param upTo the deepest layer needed; every layer up to it must have weights
   *             (`<layer>/kernel` HWIO and `<layer>/bias`, Keras names).
   */
  constructor(readonly rt: Runtime, weights: VggWeights, readonly upTo: string) {
    const last = VGG19_LAYERS.findIndex((l) => l.name === upTo);
    if (last < 0) throw new Error(`unknown VGG19 layer '${upTo}' (layers: ${VGG19_LAYERS.map((l) => l.name).join(', ')})`);
    for (const layer of VGG19_LAYERS.slice(0, last + 1)) {
      const k = weights.get(`${layer.name}/kernel`);
      const b = weights.get(`${layer.name}/bias`);
      if (!k || !b) {
        throw new Error(`VGG19 layer ${layer.name} has no weights (needed for '${upTo}'); the shipped VGG19 weights cover block1_conv1 … block3_conv4 only — pick one of those layers`);
      }
      const want = [3, 3, layer.cin, layer.cout];
      if (k.shape.join(',') !== want.join(',')) throw new Error(`VGG19 ${layer.name}/kernel: expected [${want}], got [${k.shape}]`);
      let data = k.data;
      // The first conv sees RGB where Keras fed BGR: reverse its input channels instead.
      if (layer.name === 'block1_conv1') data = reverseInputChannels(k.data, layer.cin, layer.cout);
      this.convs.push({ name: layer.name, w: new Var(rt.tensor(want, data)), b: new Var(rt.tensor([layer.cout], b.data)), poolAfter: layer.poolAfter });
    }
    const t = (v: number[]) => new Var(rt.tensor([3], v));
    this.pre = {
      gamma: t([255, 255, 255]),
      beta: t([...CAFFE_MEAN_BGR].reverse().map((m) => -m)),
      runningMean: t([0, 0, 0]),
      runningVar: t([1, 1, 1]),
      eps: 0,
      momentum: 0,
    };
  }

  /** Features at each requested layer (ReLU outputs), in the order asked. */
  forward(x: Var, layers: readonly string[] = [this.upTo]): Var[] {
    for (const l of layers) if (!this.convs.some((c) => c.name === l)) throw new Error(`VGG19 layer '${l}' is not within this extractor (up to ${this.upTo})`);
    const out = new Map<string, Var>();
    let h = op.batchNormEval(x, this.pre.gamma, this.pre.beta, this.pre);
    for (const c of this.convs) {
      h = op.relu(op.conv2d(h, c.w, c.b));
      out.set(c.name, h);
      if (c.name === this.upTo) break;
      if (c.poolAfter) h = op.maxPool2x2(h);
    }
    return layers.map((l) => out.get(l)!);
  }

  dispose(): void {
    for (const c of this.convs) {
      c.w.value.dispose();
      c.b.value.dispose();
    }
    for (const v of [this.pre.gamma, this.pre.beta, this.pre.runningMean, this.pre.runningVar]) v.value.dispose();
  }
}

function reverseInputChannels(hwio: Float32Array, cin: number, cout: number): Float32Array {
  const out = new Float32Array(hwio.length);
  for (let tap = 0; tap < hwio.length / (cin * cout); tap++) {
    for (let i = 0; i < cin; i++) {
      const src = (tap * cin + (cin - 1 - i)) * cout;
      out.set(hwio.subarray(src, src + cout), (tap * cin + i) * cout);
    }
  }
  return out;
}
