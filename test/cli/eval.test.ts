// `vivid eval --json` on tiny generated datasets: an HR-only folder and a Vid4-style sequence.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { imresize } from '../../src/data/resize.ts';
import { drawChart } from '../../src/demo/chart.ts';
import { writeImage } from '../../src/io/image.ts';
import { runCli, tinyModelDir } from '../helpers/cli.ts';

describe('vivid eval', () => {
  let dir = '', model = '';
  beforeAll(async () => ({ dir, model } = await tinyModelDir()));

  it('--json writes per-image rows, the mean and the bicubic mean', async () => {
    const data = join(dir, 'set');
    mkdirSync(join(data, 'HR'), { recursive: true });
    const chart = drawChart(96, 72);
    await writeImage(join(data, 'HR/chart.png'), chart);
    await writeImage(join(data, 'HR/small.png'), imresize(chart, { width: 48, height: 40 }));
    const text = await runCli(['eval', '-m', model, '-d', data, '--quiet']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/bicubic \(mean\)/);
    const r = await runCli(['eval', '--model', model, '--data', data, '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.images.map((i: { name: string }) => i.name)).toEqual(['chart', 'small']);
    for (const row of [...rep.images, rep.mean, rep.bicubic.mean]) {
      for (const k of ['psnr_y', 'ssim_y', 'psnr_rgb', 'mse']) expect(Number.isFinite(row[k]), k).toBe(true);
    }
    expect(rep.mean.psnr_y).toBeCloseTo((rep.images[0].psnr_y + rep.images[1].psnr_y) / 2, 9);
    // A random tiny model loses to bicubic on a real picture.
    expect(rep.bicubic.mean.psnr_y).toBeGreaterThan(rep.mean.psnr_y);

    const first = await runCli(['eval', '--model', model, '--data', data, '--json', '--quiet', '--images', '1']);
    expect(first.code, first.stderr).toBe(0);
    const one = JSON.parse(first.stdout);
    expect(one.images.map((i: { name: string }) => i.name)).toEqual(['chart']);
    expect(one.images[0]).toEqual(rep.images[0]);
    expect(one.bicubic.images).toHaveLength(1);
    const bad = await runCli(['eval', '--model', model, '--data', data, '--images', '0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--images must be an integer ≥ 1, got '0'/);
  });

  it('GT/ + BIx4/ sequences get a flicker column', async () => {
    const data = join(dir, 'seq');
    mkdirSync(join(data, 'GT'), { recursive: true });
    mkdirSync(join(data, 'BIx4'), { recursive: true });
    const base = drawChart(64, 48);
    for (let t = 0; t < 3; t++) {
      const hr = { ...base, data: base.data.map((v) => Math.min(1, v * (0.9 + 0.05 * t))) };
      await writeImage(join(data, `GT/${String(t).padStart(8, '0')}.png`), hr);
      await writeImage(join(data, `BIx4/${String(t).padStart(8, '0')}.png`), imresize(hr, 1 / 4, { uint8: true }));
    }
    const r = await runCli(['eval', '--model', model, '--data', data, '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.images).toHaveLength(3);
    expect(rep.images[0].flicker).toBeUndefined();
    expect(rep.images[1].flicker).toBeGreaterThan(0);
    expect(rep.mean.flicker).toBeGreaterThan(0);
    expect(rep.images[0].mc_flicker).toBeUndefined();
    expect(rep.images[1].mc_flicker).toBeGreaterThan(0);
    expect(rep.images[1].tof).toBeGreaterThanOrEqual(0);
    expect(rep.mean.mc_flicker).toBeGreaterThan(0);
    const t = await runCli(['eval', '--model', model, '--data', data, '--json', '--quiet', '--temporal']);
    expect(t.code, t.stderr).toBe(0);
    const temporal = JSON.parse(t.stdout);
    expect(temporal.images[2].mc_flicker).toBeGreaterThan(0);
    // Frame by frame from the same SR frames, measured in the same pass: the plain run's numbers.
    expect(temporal.frame_by_frame.mean).toEqual(rep.mean);
    expect(temporal.frame_by_frame.images).toEqual(rep.images);
    expect(temporal.mean.mc_flicker).not.toBe(rep.mean.mc_flicker);
    expect(rep.frame_by_frame).toBeUndefined();
    // The text table shows both means (and the bicubic one) with the sequence columns.
    const text = await runCli(['eval', '--model', model, '--data', data, '--quiet', '--temporal']);
    expect(text.code, text.stderr).toBe(0);
    for (const row of ['temporal (mean)', 'frame by frame (mean)', 'bicubic (mean)']) expect(text.stdout).toMatch(new RegExp(`^${row.replace(/[()]/g, '\\$&')} .*\\d`, 'm'));
    expect(text.stdout).toMatch(/mc-flicker +tOF/);
    // The bicubic baseline is never stabilised: the same with and without --temporal.
    expect(temporal.bicubic.mean).toEqual(rep.bicubic.mean);

    // --images N: the first N frames; progress to the end: the model's bar, then the bicubic
    // pass's (on a sequence it runs the temporal metrics again), each to its last frame.
    const two = await runCli(['eval', '--model', model, '--data', data, '--json', '--images', '2']);
    expect(two.code, two.stderr).toBe(0);
    const part = JSON.parse(two.stdout);
    expect(part.images.map((i: { name: string }) => i.name)).toEqual(['00000000', '00000001']);
    expect(part.images[1].flicker).toBeCloseTo(rep.images[1].flicker, 9);
    const modelEnd = two.stderr.search(/eval\s+\[#+\]\s+2\/2 frames/);
    const bicubicEnd = two.stderr.search(/bicubic\s+\[#+\]\s+2\/2 frames/);
    expect(modelEnd, two.stderr).toBeGreaterThanOrEqual(0);
    expect(bicubicEnd, two.stderr).toBeGreaterThan(modelEnd);
  });
});
