// One SRGAN optimisation step on the GPU.
//   mse stage:  G ← Adam(∇ MSE(G(lr), hr))
//   gan stage:  D ← Adam(∇ [BCE(D(hr), 1) + BCE(D(G(lr) detached), 0)])
//               G ← Adam(∇ [content·VGG-MSE + pixel·MSE + adversarial·BCE(D(G(lr)), 1)])  (D frozen)
// Content loss = mean over the chosen VGG19 layers of MSE(φ(SR), φ(HR)) · vggScale² (the paper
// rescales feature maps by 1/12.75; TrainConfig.vggScale says what that means for our VGG).
// Each update is applied only after its losses and gradients were read back finite: one
// readback of a few scalars per update, nothing else.

import { Adam } from '../autograd/adam.ts';
import * as op from '../autograd/ops.ts';
import { backward, clearTape, constant, noGrad, scope, type Param, type Var } from '../autograd/tape.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { HostTensor, Tensor } from '../graph/tensor.ts';
import { upscaleTiled } from '../inference/tiling.ts';
import type { RgbImage } from '../io/image.ts';
import { nonFinite } from '../kernels/adam.ts';
import { readTfjsLayersModel } from '../io/weights/tfjs.ts';
import { Discriminator, scaledDiscriminator } from '../models/discriminator.ts';
import { Generator } from '../models/generator.ts';
import { InferenceGenerator } from '../models/inference.ts';
import { loadGenerator } from '../models/load.ts';
import type { Module } from '../models/module.ts';
import { Vgg19Features, VGG19_LAYERS } from '../models/vgg19.ts';
import type { Batch, StepLosses, TrainConfig, TrainState } from './types.ts';


export class TrainingStep {
  private constructor(
    readonly rt: Runtime,
    readonly config: TrainConfig,
    readonly g: Generator,
    readonly optG: Adam,
    readonly d: Discriminator | null,
    readonly optD: Adam | null,
    readonly vgg: Vgg19Features | null,
  ) {}

  static async create(rt: Runtime, config: TrainConfig, opts: { vggDir?: string } = {}): Promise<TrainingStep> {
    const g = new Generator(rt, config.generator, config.seed);
    if (config.init) {
      const init = loadGenerator(config.init);
      if (JSON.stringify(init.config) !== JSON.stringify(config.generator)) {
        throw new Error(`init ${config.init}: its generator config ${JSON.stringify(init.config)} differs from the training config ${JSON.stringify(config.generator)}`);
      }
      g.load(init.weights, config.init);
    }
    const adam = (params: Param[]) => new Adam(params, { lr: config.lr, beta1: config.beta1, beta2: config.beta2, eps: 1e-8 });
    if (config.stage === 'mse') return new TrainingStep(rt, config, g, adam(g.parameters()), null, null, null);
    if (!opts.vggDir) throw new Error('the gan stage needs VGG19 weights: pass vggDir (../shared/weights/vgg19-keras-tfjs)');
    const deepest = [...config.vggLayers].sort((a, b) => VGG19_LAYERS.findIndex((l) => l.name === b) - VGG19_LAYERS.findIndex((l) => l.name === a))[0];
    if (!deepest) throw new Error('the gan stage needs at least one VGG layer in vggLayers');
    const vggWeights = readTfjsLayersModel(opts.vggDir);
    const vgg = new Vgg19Features(rt, { get: (n) => vggWeights.get(n) as HostTensor | undefined }, deepest);
    const d = new Discriminator(rt, scaledDiscriminator(config.patchSize, config.discriminatorWidth), config.seed + 1);
    return new TrainingStep(rt, config, g, adam(g.parameters()), d, adam(d.parameters()), vgg);
  }

  /** Count non-finite values in the gradients (read back: a single number). */
  private async check(params: Param[]): Promise<{ finite: boolean }> {
    const grads = params.map((p) => p.grad).filter((t): t is Tensor => t !== null);
    const flag = nonFinite(this.rt, grads);
    const count = (await flag.read())[0]!;
    flag.dispose();
    return { finite: count === 0 };
  }

  private apply(opt: Adam, lr: number, ok: boolean): void {
    if (ok) {
      opt.options.lr = lr;
      opt.update();
    } else opt.zeroGrad();
  }

  async run(batch: Batch, lr: number): Promise<StepLosses & { finite: boolean }> {
    const { rt, config: c } = this;
    const s = c.generator.scale;
    const lrSize = c.patchSize / s;
    const x = constant(rt.tensor([batch.n, lrSize, lrSize, 3], batch.lr));
    const hr = constant(rt.tensor([batch.n, c.patchSize, c.patchSize, 3], batch.hr));
    try {
      this.g.train();
      const sr = this.g.forward(x);
      if (c.stage === 'mse') {
        const loss = op.mse(sr, hr);
        const pending = loss.value.read();
        backward(loss);
        const { finite } = await this.check(this.optG.params);
        const value = (await pending)[0]!;
        const ok = finite && Number.isFinite(value);
        this.apply(this.optG, lr, ok);
        return { g: value, mse: value, finite: ok };
      }
      return await this.ganStep(sr, hr, lr);
    } finally {
      clearTape();
      x.value.dispose();
      hr.value.dispose();
    }
  }

  private async ganStep(sr: Var, hr: Var, lr: number): Promise<StepLosses & { finite: boolean }> {
    const c = this.config;
    const d = this.d!, vgg = this.vgg!;
    // Discriminator update on the detached SR batch.
    d.train().freeze(false);
    const fake = constant(sr.value);
    const lossD = op.add(op.bceWithLogits(d.forward(hr), 1), op.bceWithLogits(d.forward(fake), 0));
    const dValue = lossD.value.read();
    backward(lossD);
    const dCheck = await this.check(this.optD!.params);
    const dLoss = (await dValue)[0]!;
    const dOk = dCheck.finite && Number.isFinite(dLoss);
    this.apply(this.optD!, lr, dOk);
    if (!dOk) return { g: NaN, d: dLoss, finite: false };

    // Generator update through the (updated, frozen) discriminator and VGG.
    d.freeze(true);
    const targets = noGrad(() => scope(() => vgg.forward(hr, c.vggLayers)));
    const feats = vgg.forward(sr, c.vggLayers);
    let content = op.affine(op.mse(feats[0]!, targets[0]!), c.vggScale ** 2 / feats.length);
    for (let i = 1; i < feats.length; i++) content = op.axpby(content, op.mse(feats[i]!, targets[i]!), 1, c.vggScale ** 2 / feats.length);
    const adversarial = op.bceWithLogits(d.forward(sr), 1);
    const pixel = op.mse(sr, hr);
    let lossG = op.axpby(content, adversarial, 1, c.adversarialWeight);
    if (c.pixelWeight > 0) lossG = op.axpby(lossG, pixel, 1, c.pixelWeight);
    const partsRead = Promise.all([lossG, content, adversarial, pixel].map((v) => v.value.read()));
    backward(lossG);
    for (const t of targets) t.value.dispose();
    const gCheck = await this.check(this.optG.params);
    const parts = await partsRead;
    const [gLoss, contentLoss, advLoss, mseLoss] = parts.map((a) => a[0]!) as [number, number, number, number];
    const gOk = gCheck.finite && [gLoss, contentLoss, advLoss].every(Number.isFinite);
    this.apply(this.optG, lr, gOk);
    d.freeze(false);
    return { g: gLoss, content: contentLoss, adversarial: advLoss, mse: mseLoss, d: dLoss, finite: gOk };
  }

  private nets(): Array<[string, Module, Adam]> {
    const out: Array<[string, Module, Adam]> = [['G', this.g, this.optG]];
    if (this.d) out.push(['D', this.d, this.optD!]);
    return out;
  }

  async exportState(): Promise<TrainState> {
    const state: TrainState = new Map();
    for (const [prefix, net, opt] of this.nets()) {
      for (const [name, v] of net.state()) state.set(`${prefix}.${name}`, { shape: [...v.shape], data: await v.value.read() });
      const names = [...net.namedParameters().keys()];
      for (let i = 0; i < names.length; i++) {
        state.set(`adam${prefix}.m.${names[i]}`, { shape: [...opt.m[i]!.shape], data: await opt.m[i]!.read() });
        state.set(`adam${prefix}.v.${names[i]}`, { shape: [...opt.v[i]!.shape], data: await opt.v[i]!.read() });
      }
      state.set(`adam${prefix}.step`, { shape: [1], data: Float32Array.of(opt.step) });
    }
    return state;
  }

  importState(state: TrainState): void {
    for (const [prefix, net, opt] of this.nets()) {
      const own = new Map<string, HostTensor>();
      for (const [k, v] of state) if (k.startsWith(`${prefix}.`)) own.set(k.slice(prefix.length + 1), v);
      net.load(own, `checkpoint ${prefix}`);
      const names = [...net.namedParameters().keys()];
      for (let i = 0; i < names.length; i++) {
        for (const [kind, list] of [['m', opt.m], ['v', opt.v]] as const) {
          const t = state.get(`adam${prefix}.${kind}.${names[i]}`);
          if (!t) throw new Error(`checkpoint lacks adam${prefix}.${kind}.${names[i]}`);
          this.rt.write(list[i]!, t.data);
        }
      }
      const step = state.get(`adam${prefix}.step`);
      if (!step) throw new Error(`checkpoint lacks adam${prefix}.step`);
      opt.step = step.data[0]!;
    }
  }

  async generatorWeights(): Promise<Map<string, HostTensor>> {
    return this.g.snapshot();
  }

  /** Eval-mode SR of one LR image (validation, sample strips); tiled like inference. */
  async upscale(lr: RgbImage): Promise<RgbImage> {
    const model = new InferenceGenerator(this.rt, this.config.generator, await this.g.snapshot());
    try {
      return await upscaleTiled(this.rt, model, lr);
    } finally {
      model.dispose();
    }
  }

  dispose(): void {
    for (const [, net, opt] of this.nets()) {
      net.dispose();
      for (const t of [...opt.m, ...opt.v]) t.dispose();
    }
    this.vgg?.dispose();
  }
}
