// `vivid eval --model M --data <dir>`: PSNR/SSIM of a generator on an HR/LR folder (any layout
// findPairs knows), per image and on average, next to the bicubic baseline. Sequences (Vid4's
// GT/ + BIx4/) also get the temporal flicker column.

import { parseArgs } from 'node:util';
import { defaultModel, getModel, shutdown } from '../index.ts';
import { evaluate, type EvalReport, type ImageResult } from '../eval/evaluate.ts';
import { upscaleTiled } from '../inference/tiling.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import type { PairMetrics } from '../metrics/quality.ts';
import { Progress } from '../util/progress.ts';
import { findPairs } from '../eval/dataset.ts';
import { archOption, backendOption, describeModel, intOption, MODEL_OPTIONS, textTable } from './common.ts';

const USAGE = `usage: vivid eval --model <M> --data <dir> [options]

  --model <M>     built-in name, .safetensors or PyTorch .pth (default: the shipped srresnet-x4)
  --arch <A>      PyTorch checkpoints: leftthomas | srresnet-tutorial
  --data <dir>    name_HR/name_LR pairs, HR/ + LR/ folders, GT/ + BIx4/ (Vid4), or HR images alone
  --scale <N>     must match the model (default: the model's)
  --tile <N>      tile size in LR pixels
  --json <file>   also write the results as JSON
  --temporal      sequences: measure the output of the temporal mode (vivid video --temporal)

  Sequences (GT/ + BIx4/) also get, all lower-is-better: flicker (|ΔSR − ΔGT| of consecutive
  frames, RGB 0..255), mc-flicker (the same along GT motion from our flow kernels, over
  forward-backward-consistent pixels, Y 0..255) and tOF (|flow(SR) − flow(GT)|, HR pixels).
  --backend <B>   auto | vulkan | opengl`;

type Row = PairMetrics & { name: string; flicker?: number; mc_flicker?: number; tof?: number };

function table(rows: Row[], mean: Row, bicubic: Row, flicker: boolean): string {
  const head = ['image', 'PSNR-Y', 'SSIM-Y', 'PSNR-RGB', 'MSE', ...(flicker ? ['flicker', 'mc-flicker', 'tOF'] : [])];
  const opt = (v: number | undefined, d: number) => (v === undefined ? '' : v.toFixed(d));
  const fmt = (r: Row) => [
    r.name,
    r.psnr_y.toFixed(2),
    r.ssim_y.toFixed(4),
    r.psnr_rgb.toFixed(2),
    r.mse.toExponential(3),
    ...(flicker ? [opt(r.flicker, 3), opt(r.mc_flicker, 3), opt(r.tof, 4)] : []),
  ];
  return textTable(head, [rows.map(fmt), [fmt(mean), fmt(bicubic)]]);
}

/** The JSON written by --json: per-image rows, the mean, and the bicubic mean. */
export function reportJson(report: EvalReport, extra: Record<string, unknown> = {}): unknown {
  const row = (r: ImageResult) => ({ name: r.name, psnr_y: r.psnr_y, ssim_y: r.ssim_y, psnr_rgb: r.psnr_rgb, mse: r.mse, ...(r.flicker !== undefined ? { flicker: r.flicker, mc_flicker: r.mc_flicker, tof: r.tof } : {}) });
  return { ...extra, images: report.images.map(row), mean: report.mean, bicubic: { mean: report.bicubic.mean, images: report.bicubic.images.map(row) } };
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...MODEL_OPTIONS,
      data: { type: 'string' },
      scale: { type: 'string' },
      json: { type: 'string' },
      temporal: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.data) {
    console.error(USAGE);
    return 2;
  }
  try {
    const { model, info } = await getModel(values.model ?? defaultModel(), { arch: archOption(values.arch), backend: backendOption(values.backend) });
    const scale = intOption(values.scale, 'scale', 2) ?? info.config.scale;
    if (scale !== info.config.scale) throw new Error(`--scale ${scale} but the model upscales ×${info.config.scale}`);
    const tileSize = intOption(values.tile, 'tile', 1);
    if (!values.quiet) console.error(`model ${describeModel(info)}`);

    const { pairs, sequence } = findPairs(values.data, scale);
    const progress = new Progress({ label: 'eval', total: pairs.length, unit: 'images', enabled: !values.quiet });
    const t0 = performance.now();
    const report = await evaluate(values.data, scale, (lr) => upscaleTiled(model.rt, model, lr, { tileSize: tileSize }), (r) =>
      progress.tick(1, `${r.name} ${r.psnr_y.toFixed(2)} dB`),
    { rt: model.rt, temporal: values.temporal });
    progress.done();
    const seconds = (performance.now() - t0) / 1000;

    console.log(table(report.images, { name: 'mean', ...report.mean }, { name: 'bicubic (mean)', ...report.bicubic.mean }, sequence));
    if (values.json) {
      const json = reportJson(report, { model: info.source, arch: info.arch, data: values.data, scale, seconds });
      writeFileAtomic(values.json, new TextEncoder().encode(JSON.stringify(json, null, 2) + '\n'));
      if (!values.quiet) console.error(`wrote ${values.json}`);
    }
    return 0;
  } finally {
    await shutdown();
  }
}
