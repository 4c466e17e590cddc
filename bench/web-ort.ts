// onnxruntime-web beside viVID's page, in one headless Chromium (WebGPU on SwiftShader, Chromium's
// CPU Vulkan; no GPU needed):
//   npx tsx bench/web-ort.ts [--size 64] [--runs 2] [--webgpu-runs 1] [--save-as onnxruntime-web]
// Builds viVID's page (web/build.ts) into a temp folder, adds onnxruntime-web's dist and the same
// shipped model as ONNX (our exporter), serves it with COOP/COEP headers (cross-origin isolation,
// which ort's wasm threads need), and on a size² drawn chart runs: viVID's page (the file input,
// then upscaler.upscale again, warm), onnxruntime-web's wasm EP and its webgpu EP (each on its
// own page). Agreement first: each result in 8 bits against viVID's page, ≥ 45 dB or exit 1;
// then the times (the first call compiles: pipelines for viVID and webgpu, nothing much for wasm).
// Results: bench/results/<save-as>.json, which docs/BENCHMARKS.md's onnxruntime section reads.

import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execSync } from 'node:child_process';
import { chromium, type Page } from 'playwright-core';
import { drawChart } from '../src/demo/chart.ts';
import { readImage, writeImage } from '../src/io/image.ts';
import { builtinModels, loadGenerator } from '../src/models/load.ts';
import { generatorToOnnx, toNchw } from '../src/models/onnx-export.ts';
import { buildWeb } from '../web/build.ts';
import { serveStatic } from '../web/serve.ts';
import type { PageHooks } from '../web/hooks.ts';
import { CHROMIUM_ARGS } from '../test/helpers/chromium.ts';
import { parseFlags, psnrDb } from './common.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CHROMIUM = process.env.VIVID_CHROMIUM ?? '/usr/bin/chromium';
const MIN_PSNR = 45;

interface Row {
  what: string;
  /** Milliseconds of each call, the first (compiles) included. */
  callsMs: number[];
  psnr?: number;
  note?: string;
}

/** onnxruntime-web on its own page: session with one EP, `runs` calls; output as 8-bit RGB (HWC). */
async function ortRun(page: Page, url: string, ep: 'wasm' | 'webgpu', chw: Float32Array, size: number, runs: number) {
  await page.goto(`${url}ort.html`);
  return page.evaluate(
    async ({ ep, data, size, runs }) => {
      const ort = await import(ep === 'wasm' ? '/ort/ort.wasm.min.mjs' : '/ort/ort.webgpu.min.mjs');
      ort.env.wasm.wasmPaths = '/ort/';
      ort.env.wasm.numThreads = crossOriginIsolated ? navigator.hardwareConcurrency : 1;
      const session = await ort.InferenceSession.create('/model.onnx', { executionProviders: [ep] });
      const input = new ort.Tensor('float32', Float32Array.from(data), [1, 3, size, size]);
      const callsMs: number[] = [];
      let out: Float32Array | null = null;
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const r = await session.run({ input });
        out ??= (await r.output.getData()) as Float32Array;
        callsMs.push(performance.now() - t0);
      }
      const S = 4 * size, rgb: number[] = [];
      for (let p = 0; p < S * S; p++) for (let c = 0; c < 3; c++) rgb.push(Math.round(Math.min(1, Math.max(0, out![c * S * S + p]!)) * 255));
      return { callsMs, rgb, threads: ort.env.wasm.numThreads as number, isolated: crossOriginIsolated };
    },
    { ep, data: Array.from(chw), size, runs },
  );
}

/** viVID's page: the file input (first call), then upscaler.upscale on the same pixels again. */
async function vividPage(page: Page, url: string, png: string, runs: number) {
  await page.goto(url);
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"], body[data-state="nogpu"]', { timeout: 120_000 });
  const adapter = (await page.textContent('#adapter')) ?? '';
  const t0 = performance.now();
  await page.setInputFiles('#file', png);
  await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 1_800_000 });
  const first = performance.now() - t0;
  const r = await page.evaluate(async (runs) => {
    const hooks = (window as unknown as { vivid: PageHooks }).vivid;
    if (hooks.error || !hooks.output || !hooks.upscaler) return { error: hooks.error ?? 'no output', ms: [] as number[], rgb: [] as number[] };
    const out = hooks.output;
    const bitmap = await createImageBitmap(await (await fetch('/input.png')).blob(), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const image = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    const ms = [hooks.ms];
    for (let i = 1; i < runs; i++) {
      const t0 = performance.now();
      await hooks.upscaler.upscale(image);
      ms.push(performance.now() - t0);
    }
    const rgb: number[] = [];
    for (let p = 0; p < out.width * out.height; p++) for (let c = 0; c < 3; c++) rgb.push(out.data[p * 4 + c]!);
    return { error: null, ms, rgb };
  }, runs);
  if (r.error) throw new Error(`viVID page: ${r.error}`);
  return { adapter, firstWallMs: first, ...r };
}

async function main(): Promise<void> {
  const args = parseFlags(process.argv.slice(2));
  const size = Number(args.get('size') ?? 64), runs = Number(args.get('runs') ?? 2), webgpuRuns = Number(args.get('webgpu-runs') ?? 1);
  const dir = mkdtempSync(join(tmpdir(), 'vivid-web-ort-'));
  const profile = mkdtempSync(join(tmpdir(), 'vivid-chromium-'));
  const loadStart = loadavg();
  try {
    const build = await buildWeb({ outDir: dir, quiet: true });
    const model = builtinModels()[0]!;
    writeFileSync(join(dir, 'model.onnx'), generatorToOnnx(loadGenerator(model)));
    symlinkSync(join(ROOT, 'node_modules/onnxruntime-web/dist'), join(dir, 'ort'));
    writeFileSync(join(dir, 'ort.html'), '<!doctype html><meta charset="utf-8"><title>onnxruntime-web</title>\n');
    const png = join(dir, 'input.png');
    await writeImage(png, drawChart(size, size));
    const chw = toNchw((await readImage(png)).data, 1, size, size);
    const server = await serveStatic(dir, 0, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, ignoreDefaultArgs: ['--headless'] });
    try {
      const page = await context.newPage();
      const rows: Row[] = [];
      console.error(`web-ort: ${size}² chart, model ${model} (${build.weightsSource}), load ${loadavg()[0]!.toFixed(1)}`);
      const v = await vividPage(page, server.url, png, runs);
      rows.push({ what: "viVID's page (WebGPU)", callsMs: v.ms, note: `first call from the file input: ${(v.firstWallMs / 1000).toFixed(1)} s wall` });
      console.error(`viVID page: ${v.ms.map((m) => (m / 1000).toFixed(2)).join(', ')} s (${v.adapter})`);
      for (const [ep, n] of [['wasm', runs], ['webgpu', webgpuRuns]] as const) {
        const r = await ortRun(page, server.url, ep, chw, size, n);
        const db = psnrDb(r.rgb.map((x) => x / 255), v.rgb.map((x) => x / 255));
        rows.push({ what: `onnxruntime-web ${ep} EP`, callsMs: r.callsMs, psnr: db, note: ep === 'wasm' ? `${r.threads} thread(s), cross-origin isolated: ${r.isolated}` : undefined });
        console.error(`onnxruntime-web ${ep}: ${r.callsMs.map((m) => (m / 1000).toFixed(2)).join(', ')} s; PSNR against viVID's page ${db.toFixed(1)} dB`);
      }
      const bad = rows.filter((r) => r.psnr !== undefined && !(r.psnr >= MIN_PSNR));
      const result = {
        generatedBy: 'npx tsx bench/web-ort.ts', date: new Date().toISOString(), commit: execSync('git rev-parse --short HEAD', { cwd: ROOT, encoding: 'utf8' }).trim(),
        chromium: execSync(`${CHROMIUM} --version`, { encoding: 'utf8' }).trim(), adapter: v.adapter, size, model, loadStart, loadEnd: loadavg(), rows,
      };
      writeFileSync(join(ROOT, 'bench/results', `${args.get('save-as') ?? 'onnxruntime-web'}.json`), JSON.stringify(result, null, 1) + '\n');
      console.log(JSON.stringify(result.rows));
      if (bad.length) {
        console.error(`FAILED: ${bad.map((r) => `${r.what} ${r.psnr?.toFixed(1)} dB`).join(', ')} (< ${MIN_PSNR} dB against viVID's page)`);
        process.exitCode = 1;
      }
    } finally {
      await context.close();
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
