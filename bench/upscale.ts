// Inference benchmark (the upscaling issue): a 480×270 frame to 1920×1080, Vid4 calendar
// frames per second, and peak memory while a 960×540 image goes to 3840×2160 (regions and bands).
// One backend per child process (VIVID_BACKEND; both when unset). Writes
// bench/results/upscale-<backend>.json.
//
//   npx tsx bench/upscale.ts [--model M] [--frames N]

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Runtime } from '../src/graph/runtime.ts';
import { defaultModel } from '../src/index.ts';
import { planFor, upscaleTiled } from '../src/inference/tiling.ts';
import { createImage, readImage, type RgbImage } from '../src/io/image.ts';
import { generatorFlops } from '../src/models/flops.ts';
import { InferenceGenerator } from '../src/models/inference.ts';
import { loadGenerator } from '../src/models/load.ts';
import { forEachBackend, saveJson } from './lib.ts';

if (!forEachBackend(import.meta.url)) await main();

function testImage(w: number, h: number): RgbImage {
  const img = createImage(w, h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) img.data[(y * w + x) * 3 + c] = 0.5 + 0.45 * Math.sin(0.05 * (x + 1) * (c + 1) + 0.07 * y * (3 - c));
  return img;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, frames: { type: 'string', default: '5' } } });
  const rt = await Runtime.create();
  const spec = values.model ?? defaultModel();
  const loaded = loadGenerator(spec);
  const model = new InferenceGenerator(rt, loaded.config, loaded.weights);
  const backend = rt.gpu.backend;
  const gflops = (w: number, h: number, ms: number) => generatorFlops(loaded.config, 1, h, w) / (ms * 1e6);
  console.log(`upscale bench on ${backend}, model ${spec}`);

  // Warm-up: compile every pipeline once.
  await upscaleTiled(rt, model, testImage(32, 24));

  const frame = testImage(480, 270);
  let t = performance.now();
  await upscaleTiled(rt, model, frame);
  const frameMs = performance.now() - t;
  console.log(`480×270 → 1920×1080: ${(frameMs / 1000).toFixed(1)} s (${gflops(480, 270, frameMs).toFixed(1)} GFLOP/s)`);

  const dir = join(process.env.VIVID_SHARED ?? '../shared', 'data/vid4/calendar/BIx4');
  const files = readdirSync(dir).filter((f) => f.endsWith('.png')).sort().slice(0, Number(values.frames));
  t = performance.now();
  for (const f of files) await upscaleTiled(rt, model, await readImage(join(dir, f)));
  const vid4Ms = (performance.now() - t) / files.length;
  console.log(`Vid4 calendar 180×144 → 720×576: ${(1000 / vid4Ms).toFixed(3)} frames/s over ${files.length} frames`);

  const big = testImage(960, 540);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const poolBefore = rt.pool.peak;
  t = performance.now();
  const plan = planFor(rt, loaded.config, 960, 540);
  const tiles = plan.regions.length, bands = plan.regions.reduce((n, r) => n + r.bands.length, 0);
  await upscaleTiled(rt, model, big);
  const bigMs = performance.now() - t;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  console.log(`960×540 → 3840×2160: ${(bigMs / 1000).toFixed(0)} s in ${tiles} regions, ${bands} bands, peak RSS ${(peakRss / 2 ** 30).toFixed(2)} GiB, peak GPU buffers ${(rt.pool.peak / 2 ** 20).toFixed(0)} MiB`);

  const file = saveJson(`upscale-${backend}`, {
    backend,
    adapter: rt.gpu.info.description || rt.gpu.info.device,
    model: spec,
    config: loaded.config,
    date: new Date().toISOString(),
    frame480x270: { ms: frameMs, gflops: gflops(480, 270, frameMs) },
    vid4Calendar: { frames: files.length, msPerFrame: vid4Ms, fps: 1000 / vid4Ms },
    big960x540: { ms: bigMs, tiles, bands, plannedFlops: plan.flops, peakRssBytes: peakRss, peakGpuBytes: Math.max(rt.pool.peak, poolBefore) },
  });
  console.log(`wrote ${file}`);
  rt.destroy();
}
