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
import { noisy, scene } from '../helpers/scenes.ts';
import { seeded } from '../helpers/gpu.ts';
import { TemporalStabilizer } from '../../src/video/temporal.ts';

const CHROMIUM = process.env.VIVID_CHROMIUM ?? '/usr/bin/chromium';
// The smallest Set5 ×4 LR image (64×64, one tile). SwiftShader runs the 8-block SRResNet at
// roughly 0.2–1 GFLOPS here depending on machine load: ~30–90 s for this image.
const LR = 'data/set5/x4/img_003_SRF_4_LR.png';
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');


const ready = existsSync(CHROMIUM) && hasShared(LR);

/** An image as ImageData's RGBA bytes (opaque), by the engine's rounding. */
function rgbaBytes(img: RgbImage): number[] {
  const out: number[] = [];
  for (let i = 0; i < img.data.length; i += 3) out.push(...[0, 1, 2].map((k) => Math.round(Math.min(1, Math.max(0, img.data[i + k]!)) * 255)), 255);
  return out;
}

const rgbaImage = (width: number, height: number, bytes: number[]): RgbImage => ({ width, height, channels: 4, data: Float32Array.from(bytes, (v) => v / 255) });

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

  it('runs the temporal mode (flow, warp, blend, back-projection) like the Node engine, scene cut included', () =>
    seeded('web-temporal', async (rng) => {
      // 6 frames of 23×17 → 46×34: scene a for frames 0..3, a cut to scene b at 4.
      const [w, h, s] = [23, 17, 2];
      const a = scene(rng, w, h), b = scene(rng, w, h);
      const frames = Array.from({ length: 6 }, (_, t) => {
        const src = t < 4 ? a : b;
        return { lr: rgbaBytes(src(t, 1)), sr: rgbaBytes(noisy(rng, src(t, s))) };
      });
      const page = await context.newPage();
      await page.goto(server.url);
      await page.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
      const browser = (await page.evaluate(`(async () => {
        const frames = ${JSON.stringify(frames)};
        const st = await window.vivid.createStabilizer(undefined);
        const out = [];
        for (const f of frames) {
          const r = await st.process(new ImageData(Uint8ClampedArray.from(f.lr), ${w}, ${h}), new ImageData(Uint8ClampedArray.from(f.sr), ${w * s}, ${h * s}));
          out.push({ reset: r.reset, warpError: r.warpError, data: Array.from(r.image.data) });
        }
        st.dispose();
        return out;
      })()`)) as { reset: boolean; warpError: number; data: number[] }[];
      await page.close();

      const rt = await Runtime.create();
      const st = new TemporalStabilizer(rt);
      let worst = 0, changed = 0;
      for (const [t, f] of frames.entries()) {
        const node = await st.process(rgbaImage(w, h, f.lr), rgbaImage(w * s, h * s, f.sr));
        const got = browser[t]!;
        expect(got.reset, `frame ${t}`).toBe(t === 0 || t === 4);
        expect(got.reset).toBe(node.reset);
        if (t === 0) expect(got.warpError).toBeNaN();
        else expect(Math.abs(got.warpError - node.warpError) / node.warpError, `frame ${t} warp error`).toBeLessThan(1e-3);
        const want = quantize8(node.image).data;
        for (let i = 0; i < want.length; i++) {
          worst = Math.max(worst, Math.abs(got.data[i]! - Math.round(want[i]! * 255)));
          if (!got.reset && got.data[i] !== f.sr[i]) changed++;
        }
      }
      st.dispose();
      rt.destroy();
      console.log(`[web e2e] temporal mode on 6 frames ${w}×${h} → ${w * s}×${h * s}: largest browser − Node difference ${worst} (8-bit), ${changed} values changed by the blend`);
      // float32 on SwiftShader vs Dawn's adapter: at most one 8-bit level apart.
      expect(worst).toBeLessThanOrEqual(1);
      // The blend did act on the frames after a reset.
      expect(changed).toBeGreaterThan(frames[0]!.sr.length);
    }), 120_000);

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
