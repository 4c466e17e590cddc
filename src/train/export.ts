// The end product of a run: the generator as a weights-ready safetensors file (loadable by
// `loadGenerator` / every inference path) and a JSON model card saying what it is, what it was
// trained on, how long it took on which adapter, and how it scores on Set5 when that is at hand.

import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { evaluate } from '../eval/evaluate.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import type { HostTensor } from '../graph/tensor.ts';
import type { RgbImage } from '../io/image.ts';
import { readSafetensors } from '../io/weights/safetensors.ts';
import { saveGenerator } from '../models/load.ts';
import type { LossPoint } from './history.ts';
import type { TrainConfig } from './types.ts';

export interface ExportInput {
  config: TrainConfig;
  step: number;
  wallMs: number;
  imageCount: number;
  weights: Map<string, HostTensor>;
  upscale: (lr: RgbImage) => Promise<RgbImage>;
  gpu: { backend: string; info: { vendor: string; architecture: string; device: string; description: string } };
  lastLosses?: LossPoint;
  dataWaitShare?: number;
  /** Set5 ×4 folder; evaluated when it exists. */
  set5Dir?: string;
  /** Set5 metrics of these very weights when already measured (validation at the last step). */
  set5Known?: ExportResult['set5'];
}

export interface ExportResult {
  weightsPath: string;
  cardPath: string;
  set5?: { psnr_y: number; ssim_y: number; bicubic_psnr_y: number; bicubic_ssim_y: number };
}

/** The training step of the generator already exported to outDir, or null when there is none (or it does not read). */
export function exportedStep(outDir: string): number | null {
  const path = join(outDir, 'generator.safetensors');
  if (!existsSync(path)) return null;
  try {
    const steps = readSafetensors(new Uint8Array(readFileSync(path)), path).metadata['vivid.steps'];
    return steps === undefined ? null : Number(steps);
  } catch {
    return null;
  }
}

export async function exportModel(outDir: string, x: ExportInput): Promise<ExportResult> {
  const c = x.config;
  const weightsPath = join(outDir, 'generator.safetensors');
  const cardPath = join(outDir, 'model-card.json');
  const params = [...x.weights].filter(([n]) => !n.includes('running_')).reduce((s, [, t]) => s + t.data.length, 0);
  saveGenerator(weightsPath, c.generator, x.weights, {
    'vivid.stage': c.stage,
    'vivid.steps': String(x.step),
    'vivid.trainConfig': JSON.stringify(c),
  });
  let set5: ExportResult['set5'];
  // Set5 here is ×4; other scales would need their own LR files.
  if (x.set5Known) set5 = x.set5Known;
  else if (x.set5Dir && existsSync(x.set5Dir) && c.generator.scale === 4) {
    const r = await evaluate(x.set5Dir, 4, x.upscale);
    set5 = { psnr_y: r.mean.psnr_y, ssim_y: r.mean.ssim_y, bicubic_psnr_y: r.bicubic.mean.psnr_y, bicubic_ssim_y: r.bicubic.mean.ssim_y };
  }
  const card = {
    name: `srresnet-x${c.generator.scale}-${c.generator.blocks}b${c.generator.channels}c-${c.stage}`,
    file: 'generator.safetensors',
    created: new Date().toISOString(),
    architecture: {
      model: c.stage === 'gan' ? 'SRGAN generator (SRResNet)' : 'SRResNet',
      reference: 'Ledig et al. 2017, Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial Network',
      generator: c.generator,
      parameters: params,
      input: 'NHWC RGB in [0,1]',
    },
    training: {
      stage: c.stage,
      steps: x.step,
      batchSize: c.batchSize,
      patchSize: c.patchSize,
      patchesPerImage: c.patchesPerImage,
      optimizer: { name: 'Adam', lr: c.lr, beta1: c.beta1, beta2: c.beta2, decayEvery: c.decayEvery, decayFactor: c.decayFactor },
      loss: c.stage === 'mse'
        ? 'pixel MSE'
        : { vggLayers: c.vggLayers, vggScale: c.vggScale, adversarialWeight: c.adversarialWeight, pixelWeight: c.pixelWeight, discriminatorWidth: c.discriminatorWidth },
      init: c.init ?? null,
      seed: c.seed,
      finalLosses: x.lastLosses ? { step: x.lastLosses.step, meanOverSteps: x.lastLosses.n, ...x.lastLosses.losses } : null,
    },
    data: {
      folders: c.data.map((d) => resolve(d)),
      images: x.imageCount,
      degradation: `${c.blurSigma > 0 ? `Gaussian blur σ=${c.blurSigma}, then ` : ''}MATLAB bicubic ÷${c.generator.scale} (imresize, antialias, 8-bit levels) on whole images`,
      augmentation: 'random aligned crops, horizontal flip, 90° rotations',
    },
    wallTimeSeconds: Math.round(x.wallMs / 1000),
    dataWaitShare: x.dataWaitShare ?? null,
    hardware: {
      backend: x.gpu.backend,
      adapter: { vendor: x.gpu.info.vendor, architecture: x.gpu.info.architecture, device: x.gpu.info.device, description: x.gpu.info.description },
      cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
      node: process.version,
    },
    evaluation: set5
      ? { set5_x4: { ...set5, conventions: 'Y channel (BT.601), 4-pixel border shaved, SR rounded to 8 bits' } }
      : null,
  };
  writeFileAtomic(cardPath, new TextEncoder().encode(JSON.stringify(card, null, 2) + '\n'));
  return { weightsPath, cardPath, set5 };
}
