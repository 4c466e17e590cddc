// `vivid demo`: the quickest way to see viVID work. Draws a resolution chart (or takes
// --input), shrinks the chart ÷4 with bicubic to make a low-resolution input, upscales it ×4
// with the default model, and writes the result and a side-by-side comparison
// (bicubic | viVID) into the output folder.

import { mkdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { parseCommand, type CommandSpec } from './args.ts';
import { imresize } from '../data/resize.ts';
import { drawChart, sideBySide } from '../demo/chart.ts';
import { defaultModel, getModel, shutdown } from '../index.ts';
import { upscaleTiled } from '../inference/tiling.ts';
import { readImage, writeImage, type RgbImage } from '../io/image.ts';
import { evaluatePair } from '../metrics/quality.ts';
import { Progress, within } from '../util/progress.ts';
import { archOption, backendOption, describeModel, intOption, maxPixelsOption, MODEL_OPTIONS } from './common.ts';

export const spec = {
  name: 'demo',
  usage: '[options]',
  options: {
    ...MODEL_OPTIONS,
    input: { type: 'string', short: 'i', value: '<img>', help: 'upscale this image instead of the drawn chart' },
    output: { type: 'string', short: 'o', value: '<dir>', help: 'output folder (default: demo-output)' },
  },
} as const satisfies CommandSpec;

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommand(spec, args);
  let modelSpec: string;
  try {
    modelSpec = values.model ?? defaultModel();
  } catch (e) {
    console.error(`vivid demo: ${(e as Error).message}`);
    return 1;
  }
  try {
    const { model, info } = await getModel(modelSpec, { arch: archOption(values.arch), backend: backendOption(values.backend) });
    const scale = info.config.scale;
    console.log(`model ${describeModel(info)}`);

    let lr: RgbImage;
    let hr: RgbImage | null = null;
    let stem: string;
    if (values.input) {
      lr = await readImage(values.input, { maxPixels: maxPixelsOption(values['max-pixels']) });
      stem = basename(values.input, extname(values.input));
    } else {
      // 480×360 chart → 120×90 input at ×4: small enough for a software adapter.
      hr = drawChart(30 * 4 * scale, 30 * 3 * scale);
      lr = imresize(hr, 1 / scale, { uint8: true });
      stem = 'chart';
    }

    const progress = new Progress({ label: 'demo', total: 100, unit: '%', enabled: !values.quiet });
    progress.setStatus(`${lr.width}×${lr.height} → ${lr.width * scale}×${lr.height * scale}`);
    const t0 = performance.now();
    const sr = await upscaleTiled(model.rt, model, lr, { tileSize: intOption(values.tile, 'tile', 1), onProgress: within(progress, 0, 100) });
    progress.done();
    const seconds = (performance.now() - t0) / 1000;
    const bicubic = imresize(lr, scale);

    const dir = resolve(values.output ?? 'demo-output');
    mkdirSync(dir, { recursive: true });
    const files = {
      input: join(dir, `${stem}-input.png`),
      bicubic: join(dir, `${stem}-bicubic.png`),
      vivid: join(dir, `${stem}-vivid.png`),
      comparison: join(dir, `${stem}-comparison.png`),
    };
    await writeImage(files.input, lr);
    await writeImage(files.bicubic, bicubic);
    await writeImage(files.vivid, sr);
    await writeImage(files.comparison, sideBySide(bicubic, sr, 4));
    if (hr) await writeImage(join(dir, `${stem}-original.png`), hr);

    console.log(`upscaled ${lr.width}×${lr.height} → ${sr.width}×${sr.height} ×${scale} in ${seconds.toFixed(1)} s`);
    if (hr) {
      const b = evaluatePair(bicubic, hr, scale), v = evaluatePair(sr, hr, scale);
      console.log(`PSNR-Y against the drawn original: bicubic ${b.psnr_y.toFixed(2)} dB, viVID ${v.psnr_y.toFixed(2)} dB`);
    }
    console.log(`input       ${files.input}`);
    console.log(`viVID       ${files.vivid}`);
    console.log(`comparison  ${files.comparison}   (left: bicubic | right: viVID)`);
    return 0;
  } finally {
    await shutdown();
  }
}
