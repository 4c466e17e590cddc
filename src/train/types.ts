// The contract between the training loop (src/train/run.ts: config, data, progress, logs,
// checkpoints, validation, signals) and the GPU training step (src/train/step.ts).

import type { HostTensor } from '../graph/tensor.ts';
import type { GeneratorConfig } from '../models/generator.ts';

export interface TrainConfig {
  /** 'mse': SRResNet pretraining; 'gan': SRGAN with the perceptual loss. */
  stage: 'mse' | 'gan';
  generator: GeneratorConfig;
  /** HR image folders (PNG/JPEG, searched recursively). */
  data: string[];
  /** Held-out folder for periodic validation (HR/LR pairs or HR only). */
  validation?: string;
  validateEvery: number;
  batchSize: number;
  /** HR patch size (LR = hr / scale). Paper: 96. */
  patchSize: number;
  /** Patches cut from one decoded image before moving on (decode cost amortised). */
  patchesPerImage: number;
  /** Gaussian blur σ before the ×1/scale bicubic downsampling (0 = none). */
  blurSigma: number;
  steps: number;
  lr: number;
  /** Step decay: lr × decayFactor every decayEvery steps (paper: ×0.1 once, half way). */
  decayEvery: number;
  decayFactor: number;
  beta1: number;
  beta2: number;
  seed: number;
  /** GAN stage: VGG19 layers for the content loss (averaged), e.g. ['block3_conv3']. */
  vggLayers: string[];
  /**
   * VGG feature maps are scaled by this before the MSE (so the loss carries its square). The paper
   * scales by 1/12.75 so that the VGG loss is of the pixel MSE's scale; our VGG takes Keras'
   * caffe input (0–255), whose features are ~255× larger, so 1/(12.75·255) is what keeps the
   * content loss next to the pixel MSE — and the 1e-3 adversarial term in play (docs/TRAINING.md).
   */
  vggScale: number;
  adversarialWeight: number;
  /** GAN stage: the paper's discriminator with every layer this many times as wide (1 = paper). */
  discriminatorWidth: number;
  /** Optional pixel-MSE term in the GAN generator loss. */
  pixelWeight: number;
  /** Initialise the generator from this file (e.g. the MSE-pretrained SRResNet). */
  init?: string;
  checkpointEvery: number;
  keepCheckpoints: number;
  /** Output folder: checkpoints, log.jsonl, curves, samples. */
  out: string;
}

/** What one step returns: scalar losses read back (the only readback of a step). */
export interface StepLosses {
  /** Generator loss actually optimised. */
  g: number;
  /** Components: pixel MSE, VGG content, adversarial; discriminator loss. */
  mse?: number;
  content?: number;
  adversarial?: number;
  d?: number;
}

/** The sampler's batches are defined with it (data/patches.ts). */
export type { Batch } from '../data/patches.ts';

/** Host copy of all training state that a checkpoint holds (tensors by name). */
export type TrainState = Map<string, HostTensor>;
