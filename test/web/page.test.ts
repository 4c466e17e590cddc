// End to end: build the page, serve it on an ephemeral localhost port, drive Debian's
// chromium (WebGPU on SwiftShader, no GPU needed) through a Set5 image, and check that the
// browser's result matches the Node engine's (Dawn) for the same image and weights.
// Needs /usr/bin/chromium (scripts/setup.sh with VIVID_SETUP_EXTRAS="chromium") and the
// shared Set5 data; skips without them. Leaves a screenshot in test-artifacts/web.png.

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/graph/runtime.ts';
import { upscaleTiled } from '../../src/inference/tiling.ts';
import { quantize8, readImage, type RgbImage } from '../../src/io/image.ts';
import { psnr } from '../../src/metrics/quality.ts';
import { InferenceGenerator } from '../../src/models/inference.ts';
import { loadGenerator } from '../../src/models/load.ts';
import { buildWeb, type BuildResult } from '../../web/build.ts';
import { serveStatic, type StaticServer } from '../../web/serve.ts';
import type { PageHooks } from '../../web/hooks.ts';
import { CHROMIUM_ARGS } from '../helpers/chromium.ts';
import { hasShared, sharedPath } from '../helpers/shared.ts';

const CHROMIUM = process.env.VIVID_CHROMIUM ?? '/usr/bin/chromium';
// The smallest Set5 ×4 LR image (64×64, one tile). SwiftShader runs the 8-block SRResNet at
// roughly 0.2–1 GFLOPS here depending on machine load: ~30–90 s for this image.
const LR = 'data/set5/x4/img_003_SRF_4_LR.png';
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');


const ready = existsSync(CHROMIUM) && hasShared(LR);

describe.skipIf(!ready)('web page in headless chromium (WebGPU on SwiftShader)', () => {
  let build: BuildResult;
  let server: StaticServer;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    const t0 = performance.now();
    build = await buildWeb({ quiet: true });
    server = await serveStatic(build.outDir, 0);
    profile = mkdtempSync(join(tmpdir(), 'vivid-chromium-'));
    // Playwright adds plain --headless (and --disable-gpu for old headless): we pick our own.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      ignoreDefaultArgs: ['--headless'],
      viewport: { width: 1000, height: 1100 },
    });
    console.log(`[web e2e] build + server + browser: ${((performance.now() - t0) / 1000).toFixed(1)} s; bundle ${build.bundleBytes} B, weights ${build.weightsBytes} B`);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('upscales a Set5 image like the Node engine does (PSNR ≥ 45 dB)', async () => {
    const page = await context.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"], body[data-state="nogpu"]', { timeout: 60_000 });
    const state = await page.evaluate(() => document.body.dataset.state);
    expect(state, `page did not become ready:\n${logs.join('\n')}`).toBe('ready');
    const adapter = await page.textContent('#adapter');
    expect(adapter).toMatch(/swiftshader|Adapter:/i);

    const t0 = performance.now();
    await page.setInputFiles('#file', sharedPath(LR));
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 280_000 });
    const browserSeconds = (performance.now() - t0) / 1000;
    const result = await page.evaluate(() => {
      const hooks = (window as unknown as { vivid: PageHooks }).vivid;
      const out = hooks.output;
      return { error: hooks.error, ms: hooks.ms, width: out?.width ?? 0, height: out?.height ?? 0, rgba: out ? Array.from(out.data) : ([] as number[]) };
    });
    expect(result.error, logs.join('\n')).toBeNull();
    mkdirSync(ARTIFACTS, { recursive: true });
    // Screenshot with the slider moved, so both halves of the comparison show.
    await page.locator('#slider').fill('40');
    await page.screenshot({ path: join(ARTIFACTS, 'web.png'), fullPage: true });
    expect(await page.getAttribute('#download', 'href')).toMatch(/^blob:/);

    // The Node engine: the same safetensors file the page fetched, on Dawn.
    const lr = await readImage(sharedPath(LR));
    const rt = await Runtime.create();
    const loaded = loadGenerator(build.weightsFile);
    const model = new InferenceGenerator(rt, loaded.config, loaded.weights);
    const t1 = performance.now();
    const node = quantize8(await upscaleTiled(rt, model, lr));
    const nodeSeconds = (performance.now() - t1) / 1000;
    model.dispose();
    rt.destroy();

    expect([result.width, result.height]).toEqual([node.width, node.height]);
    const rgb = new Float32Array(node.width * node.height * 3);
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
      rgb[i] = result.rgba[j]! / 255;
      rgb[i + 1] = result.rgba[j + 1]! / 255;
      rgb[i + 2] = result.rgba[j + 2]! / 255;
      expect(result.rgba[j + 3]).toBe(255);
    }
    const browser: RgbImage = { width: node.width, height: node.height, channels: 3, data: rgb };
    let differing = 0;
    for (let i = 0; i < rgb.length; i++) if (Math.round(rgb[i]! * 255) !== Math.round(node.data[i]! * 255)) differing++;
    const db = psnr(browser, node);
    console.log(
      `[web e2e] ${lr.width}×${lr.height} → ${node.width}×${node.height}: browser (SwiftShader) ${(result.ms / 1000).toFixed(1)} s ` +
        `in page (${browserSeconds.toFixed(1)} s end to end), Node (${rt.gpu.backend}) ${nodeSeconds.toFixed(1)} s; ` +
        `PSNR browser vs Node ${db.toFixed(2)} dB, ${differing} of ${rgb.length} 8-bit values differ`,
    );
    expect(db).toBeGreaterThanOrEqual(45);
  }, 300_000);

  it('cancels between tiles with an AbortError', async () => {
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
    // 12×12 in 6×6 regions; abort at the first progress after the start (the first conv of the
    // first region). (A string, not a function: the transpiler's helper names don't exist in the page.)
    const outcome = await page.evaluate(`(async () => {
      const im = new ImageData(12, 12);
      im.data.fill(200);
      const ctrl = new AbortController();
      const seen = [];
      try {
        await window.vivid.upscaler.upscale(im, { tileSize: 6, signal: ctrl.signal, onProgress: (d, n) => { seen.push(d + '/' + n); if (d > 0) ctrl.abort(); } });
        return 'finished: ' + seen.join(' ');
      } catch (e) {
        return e.name + ': ' + seen.join(' ');
      }
    })()`);
    expect(outcome).toMatch(/^AbortError: 0\/(\d+) \d+\/\1$/);
    await page.close();
  }, 120_000);

  it('says so clearly when WebGPU is unavailable', async () => {
    const page = await context.newPage();
    // A browser without WebGPU: navigator.gpu reads undefined.
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="nogpu"]', { timeout: 30_000 });
    expect(await page.isVisible('#nogpu')).toBe(true);
    expect(await page.textContent('#nogpu')).toMatch(/WebGPU is unavailable/);
    await page.close();
  });
});
