// `vivid compare` on a tiny generated dataset with two tiny models: the strip holds, per
// picture, the same region of bicubic | each model's SR | HR, with the columns' names and each
// tile's PSNR/SSIM drawn on it; the table (or --json) gives the same figures.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { imresize } from '../../src/data/resize.ts';
import { drawChart } from '../../src/demo/chart.ts';
import { drawText, textWidth } from '../../src/eval/font.ts';
import { cropRgb, centredCrop } from '../../src/eval/strip.ts';
import { getModel, getRuntime } from '../../src/index.ts';
import { upscaleTiled } from '../../src/inference/tiling.ts';
import { createImage, quantize8, readImage, writeImage, type RgbImage } from '../../src/io/image.ts';
import { evaluatePair } from '../../src/metrics/quality.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { inkPattern } from '../helpers/ink.ts';
import { saveTinyModel } from '../helpers/tiny-model.ts';

const GAP = 4;
/** One line of label text at font scale 1 (tiles under 256 px): 8 rows of glyph + 2 of space. */
const LINE = 10;
/** Top of row `row` of a strip of w×h tiles: the names' band above, two caption lines under each. */
const rowTop = (row: number, h: number) => GAP + LINE + row * (h + 2 * LINE + GAP);

/** Tile (row, col) of a strip of w×h tiles. */
function tileAt(strip: RgbImage, row: number, col: number, w: number, h: number): RgbImage {
  return cropRgb(strip, GAP + col * (w + GAP), rowTop(row, h), w, h);
}

/** The ink of `text` as the strip's font draws it, for comparison with a region of the strip. */
function inkOf(text: string): string {
  const img = createImage(textWidth(text) + 2, 10, 3);
  img.data.fill(1);
  drawText(img, text, 1, 1);
  return inkPattern(img);
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
    expect([strip.width, strip.height]).toEqual([4 * 48 + 5 * GAP, GAP + LINE + 2 * (48 + 2 * LINE + GAP)]);

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

    // Drawn on the strip: each column's name above it, each tile's PSNR-Y and SSIM-Y under it.
    const band = (col: number, y: number, height: number) => ({ x: GAP + col * (48 + GAP), y, width: 48, height });
    ['bicubic', 'tiny-a', 'tiny-b', 'HR'].forEach((name, col) => expect(inkPattern(strip, band(col, 0, rowTop(0, 48))), name).toBe(inkOf(name)));
    versions.slice(0, 3).forEach((v, col) => {
      const q = evaluatePair(v, hr, 4);
      expect(inkPattern(strip, band(col, rowTop(0, 48) + 48, LINE)), `column ${col} PSNR`).toBe(inkOf(`${q.psnr_y.toFixed(2)} dB`));
      expect(inkPattern(strip, band(col, rowTop(0, 48) + 48 + LINE, LINE)), `column ${col} SSIM`).toBe(inkOf(q.ssim_y.toFixed(4)));
    });
    expect(inkPattern(strip, band(3, rowTop(0, 48) + 48, LINE))).toBe(inkOf('PSNR-Y'));
  });

  it('--json prints per column its figures on each picture and their mean', async () => {
    const out = join(dir, 'strip.webp');
    const r = await runCli(['compare', '--models', `${a},${b}`, '--data', data, '-o', out, '--crop', '32', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.strip).toEqual(['bicubic', 'tiny-a', 'tiny-b', 'HR']);
    expect(rep.columns.map((c: { name: string; model: string | null }) => [c.name, c.model])).toEqual([['bicubic', null], ['tiny-a', a], ['tiny-b', b]]);
    expect(rep.images.map((i: { name: string }) => i.name)).toEqual(['chart', 'small']);
    const hr = await readImage(join(data, 'HR/small.png'));
    const cropped = { ...hr, width: 52, height: 40 };
    const bicubic = evaluatePair(imresize(imresize(cropped, 1 / 4, { uint8: true }), 4), cropped, 4);
    expect(rep.columns[0].images[1].psnr_y).toBeCloseTo(bicubic.psnr_y, 9);
    expect(rep.columns[0].images[1].ssim_y).toBeCloseTo(bicubic.ssim_y, 9);
    for (const c of rep.columns) {
      expect(c.mean.psnr_y).toBeCloseTo((c.images[0].psnr_y + c.images[1].psnr_y) / 2, 9);
      expect(c.mean.ssim_y).toBeGreaterThan(0);
    }
    expect(rep.images[0].crop).toEqual({ x: 32, y: 20, width: 32, height: 32 });
  });

  it('refuses models of different scales and names what it needs', async () => {
    const r = await runCli(['compare', '--data', data, '-o', join(dir, 'x.png')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--models/);
    const bad = await runCli(['compare', '--models', a, '--data', data, '-o', join(dir, 'x.png'), '--at', 'middle']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--at must be x,y/);
    // The output is checked before any model runs: no progress bar.
    const ext = await runCli(['compare', '--models', a, '--data', data, '-o', join(dir, 'strip.bmp')]);
    expect(ext.code).toBe(1);
    expect(ext.stderr).toMatch(/strip\.bmp: unknown image extension '\.bmp'/);
    expect(ext.stderr).not.toMatch(/compare +\[/);
  });
});
