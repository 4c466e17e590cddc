// Periodic validation: PSNR/SSIM on a held-out folder with the evaluation conventions of
// src/eval/evaluate.ts (Y channel, scale-pixel shave, bicubic baseline), and a strip of
// sample crops — bicubic | SR | HR side by side, one row per image — for eyeballing progress.
// The run's validation phase (validationDue, validateAt) adds each point to the history, the
// log and the curves.

import { join } from 'node:path';
import { imresize } from '../data/resize.ts';
import { findPairs } from '../eval/dataset.ts';
import { evaluate } from '../eval/evaluate.ts';
import { readImage, writeImage, type RgbImage } from '../io/image.ts';
import { centredCrop, cropRgb, tileStrip } from '../eval/strip.ts';
import type { ValidationPoint } from './history.ts';
import type { Position, Session } from './session.ts';
import type { TrainConfig } from './types.ts';

const CROP = 128;

export async function validate(
  dir: string,
  scale: number,
  upscale: (lr: RgbImage) => Promise<RgbImage>,
  opts: { step: number; samplePath?: string; maxSamples?: number },
): Promise<ValidationPoint> {
  const maxSamples = opts.maxSamples ?? 4;
  const kept: Array<{ lr: RgbImage; sr: RgbImage }> = [];
  const report = await evaluate(dir, scale, async (lr) => {
    const sr = await upscale(lr);
    if (kept.length < maxSamples) kept.push({ lr, sr });
    return sr;
  });
  if (opts.samplePath && kept.length) {
    const pairs = findPairs(dir, scale).pairs;
    const rows: RgbImage[][] = [];
    for (let i = 0; i < kept.length; i++) {
      const { lr, sr } = kept[i]!;
      const hr = await readImage(pairs[i]!.hr);
      const bic = imresize(lr, scale);
      const c = centredCrop(sr, CROP, scale);
      rows.push([bic, sr, hr].map((img) => cropRgb(img, c.x, c.y, c.width, c.height)));
    }
    await writeImage(opts.samplePath, tileStrip(rows));
  }
  return {
    step: opts.step,
    psnr_y: report.mean.psnr_y,
    ssim_y: report.mean.ssim_y,
    bicubic_psnr_y: report.bicubic.mean.psnr_y,
    bicubic_ssim_y: report.bicubic.mean.ssim_y,
  };
}

/** Validation runs every validateEvery steps and at the last step, when there is a folder. */
export function validationDue(config: TrainConfig, s: number): boolean {
  return !!config.validation && config.validateEvery > 0 && (s % config.validateEvery === 0 || s === config.steps);
}

/** Validate the step's generator at `pos.step`: history, log line, message, curves, sample strip. */
export async function validateAt(session: Session, pos: Position): Promise<ValidationPoint> {
  const { config, step } = session;
  const s = pos.step;
  const v = await validate(config.validation!, config.generator.scale, (x) => step.upscale(x), { step: s, samplePath: join(session.samplesDir, `step-${s}.png`) });
  pos.history.validation.push(v);
  session.record({ step: s, validation: v });
  session.say(`step ${s}: validation PSNR-Y ${v.psnr_y.toFixed(2)} dB, SSIM-Y ${v.ssim_y.toFixed(4)} (bicubic ${v.bicubic_psnr_y.toFixed(2)} dB)`);
  session.writeCurves(pos.history);
  return v;
}
