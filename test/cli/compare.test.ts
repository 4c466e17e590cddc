// `vivid compare` on a tiny generated dataset with two tiny models: the strip holds, per
// picture, the same region of bicubic | each model's SR | HR, and the table their PSNR.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { imresize } from '../../src/data/resize.ts';
import { drawChart } from '../../src/demo/chart.ts';
import { cropRgb, centredCrop } from '../../src/eval/strip.ts';
import { getModel, getRuntime } from '../../src/index.ts';
import { upscaleTiled } from '../../src/inference/tiling.ts';
import { quantize8, readImage, writeImage, type RgbImage } from '../../src/io/image.ts';
import { evaluatePair } from '../../src/metrics/quality.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { saveTinyModel } from '../helpers/tiny-model.ts';

const GAP = 4;

/** Tile (row, col) of a strip of w×h tiles. */
function tileAt(strip: RgbImage, row: number, col: number, w: number, h: number): RgbImage {
  return cropRgb(strip, GAP + col * (w + GAP), GAP + row * (h + GAP), w, h);
}

describe('vivid compare', () => {
  let dir = '', a = '', b = '', data = '';
  beforeAll(async () => {
    dir = tempDir();
    a = join(dir, 'tiny-a.safetensors');
    b = join(dir, 'tiny-b.safetensors');
    await saveTinyModel(await getRuntime(), a, 7);
    await saveTinyModel(await getRuntime(), b, 8);
    data = join(dir, 'set');
    mkdirSync(join(data, 'HR'), { recursive: true });
    const chart = drawChart(96, 72);
    await writeImage(join(data, 'HR/chart.png'), chart);
    await writeImage(join(data, 'HR/small.png'), imresize(chart, { width: 52, height: 40 }));
  });

  it('writes bicubic | model A | model B | HR crops of one region per picture, and their PSNR', async () => {
    const out = join(dir, 'strip.png');
    const r = await runCli(['compare', '--models', `${a},${b}`, '--data', data, '-o', out, '--crop', '48', '--at', '13,6', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/bicubic \| tiny-a \| tiny-b \| HR/);
    const strip = await readImage(out);
    expect([strip.width, strip.height]).toEqual([4 * 48 + 5 * GAP, 2 * 48 + 3 * GAP]);

    const hr = await readImage(join(data, 'HR/chart.png'));
    const lr = imresize(hr, 1 / 4, { uint8: true });
    const box = centredCrop(hr, 48, 4, { x: 13, y: 6 });
    expect(box).toEqual({ x: 12, y: 4, width: 48, height: 48 }); // on the LR grid
    const versions = [imresize(lr, 4)];
    for (const m of [a, b]) {
      const { model } = await getModel(m);
      versions.push(await upscaleTiled(model.rt, model, lr));
    }
    versions.push(hr);
    versions.forEach((v, col) => {
      const want = quantize8(cropRgb(v, box.x, box.y, 48, 48));
      const got = tileAt(strip, 0, col, 48, 48);
      let worst = 0;
      for (let i = 0; i < want.data.length; i++) worst = Math.max(worst, Math.abs(got.data[i]! - want.data[i]!));
      expect(worst, `column ${col}`).toBeLessThan(0.5 / 255 + 1e-6);
    });
    const row = r.stdout.split('\n').find((l) => l.startsWith('chart'))!;
    const psnrs = [...row.matchAll(/(\d+\.\d\d) \//g)].map((m) => Number(m[1]));
    expect(psnrs).toHaveLength(3);
    versions.slice(0, 3).forEach((v, i) => expect(psnrs[i]).toBeCloseTo(evaluatePair(v, hr, 4).psnr_y, 2));
  });

  it('refuses models of different scales and names what it needs', async () => {
    const r = await runCli(['compare', '--data', data, '-o', join(dir, 'x.png')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--models/);
    const bad = await runCli(['compare', '--models', a, '--data', data, '-o', join(dir, 'x.png'), '--at', 'middle']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--at must be x,y/);
  });
});
