// The demo page: pick or drop an image, upscale it ×4 with the shipped model on WebGPU (tiled,
// with progress and cancel), compare against bicubic with a slider, download the result.
// `document.body.dataset.state` (loading → ready → running → done | error | nogpu) and
// `window.vivid` let the end-to-end test drive the page without scraping text.

import type { PageHooks } from './hooks.ts';
import { createStabilizer, createUpscaler, GpuUnavailableError } from '../src/web.ts';

interface ModelManifest {
  file: string;
  bytes: number;
  source: string;
}

declare global {
  interface Window {
    vivid: PageHooks;
  }
}

const hooks: PageHooks = { upscaler: null, output: null, ms: 0, error: null, createStabilizer };
window.vivid = hooks;

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page lacks #${id}`);
  return e as T;
}

const ui = {
  adapter: el<HTMLParagraphElement>('adapter'),
  model: el<HTMLParagraphElement>('model'),
  nogpu: el<HTMLDivElement>('nogpu'),
  app: el<HTMLElement>('app'),
  drop: el<HTMLLabelElement>('drop'),
  file: el<HTMLInputElement>('file'),
  progress: el<HTMLProgressElement>('progress'),
  cancel: el<HTMLButtonElement>('cancel'),
  download: el<HTMLAnchorElement>('download'),
  status: el<HTMLSpanElement>('status'),
  compare: el<HTMLElement>('compare'),
  bicubic: el<HTMLCanvasElement>('bicubic'),
  vivid: el<HTMLCanvasElement>('vivid'),
  slider: el<HTMLInputElement>('slider'),
  caption: el<HTMLElement>('caption'),
};

type State = 'loading' | 'ready' | 'running' | 'done' | 'error' | 'nogpu';

function setState(state: State, message: string, isError = false): void {
  document.body.dataset.state = state;
  ui.status.textContent = message;
  ui.status.classList.toggle('error', isError);
}

function showNoGpu(reason: string): void {
  ui.nogpu.hidden = false;
  ui.nogpu.innerHTML =
    `<strong>WebGPU is unavailable here.</strong> ${escapeHtml(reason)}<br>` +
    'viVID runs its kernels on WebGPU: use a recent Chrome or Edge (113+), Safari 26 or Firefox 141+ ' +
    'with hardware acceleration on; on Linux Chrome may need <code>chrome://flags/#enable-unsafe-webgpu</code>.';
  ui.app.hidden = true;
  ui.adapter.textContent = 'No WebGPU adapter.';
  document.body.dataset.state = 'nogpu';
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function describeAdapter(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length);
  return parts.length ? parts.join(' · ') : 'unnamed adapter (the browser hides its details)';
}

async function start(): Promise<void> {
  if (!navigator.gpu) return showNoGpu('navigator.gpu is missing in this browser.');
  const manifest = (await (await fetch('model.json')).json()) as ModelManifest;
  const mb = (manifest.bytes / 1024 / 1024).toFixed(1);
  ui.model.textContent = `Model: ${manifest.source} (${mb} MB) — loading…`;
  try {
    hooks.upscaler = await createUpscaler(undefined, {
      weightsUrl: manifest.file,
      onWeightsProgress: (loaded, total) => {
        if (total) ui.progress.value = loaded / total;
      },
    });
  } catch (e) {
    if (e instanceof GpuUnavailableError) return showNoGpu(e.message.split('\n')[0]!);
    throw e;
  }
  const { config } = hooks.upscaler.model;
  ui.adapter.textContent = `Adapter: ${describeAdapter(hooks.upscaler.adapterInfo)}`;
  ui.model.textContent = `Model: ${manifest.source} (${mb} MB) — SRResNet ×${config.scale}, ${config.blocks} blocks, ${config.channels} channels`;
  ui.progress.value = 0;
  setState('ready', 'Ready: choose or drop an image.');
}

// ---- one upscale ----------------------------------------------------------------------------

let running: AbortController | null = null;
/** Settles when the current run has stopped: a new image waits for the old run's conv in flight. */
let inFlight: Promise<void> = Promise.resolve();
let downloadUrl: string | null = null;

async function decode(file: Blob): Promise<{ bitmap: ImageBitmap; pixels: ImageData }> {
  // No colour-space conversion and no premultiplication: the pixels are the file's bytes,
  // as the Node decoder reads them.
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  return { bitmap, pixels: ctx.getImageData(0, 0, bitmap.width, bitmap.height) };
}

function drawBicubic(bitmap: ImageBitmap, scale: number): void {
  const c = ui.bicubic;
  c.width = bitmap.width * scale;
  c.height = bitmap.height * scale;
  const ctx = c.getContext('2d')!;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, c.width, c.height);
}

async function upscaleFile(file: File): Promise<void> {
  const up = hooks.upscaler;
  if (!up) return;
  running?.abort(new DOMException('replaced by a new image', 'AbortError'));
  const ctrl = new AbortController();
  running = ctrl;
  const previous = inFlight;
  let settle = () => {};
  inFlight = new Promise<void>((resolve) => (settle = resolve));
  await previous;
  hooks.output = null;
  hooks.error = null;
  ui.download.classList.add('disabled');
  ui.cancel.disabled = false;
  ui.progress.value = 0;
  try {
    const { bitmap, pixels } = await decode(file);
    const s = up.model.config.scale;
    drawBicubic(bitmap, s);
    ui.vivid.width = ui.bicubic.width;
    ui.vivid.height = ui.bicubic.height;
    ui.vivid.getContext('2d')!.clearRect(0, 0, ui.vivid.width, ui.vivid.height);
    ui.compare.hidden = false;
    ui.caption.textContent = `${file.name}: ${bitmap.width}×${bitmap.height} → ${bitmap.width * s}×${bitmap.height * s}`;
    setState('running', `Upscaling ${bitmap.width}×${bitmap.height}…`);
    const t0 = performance.now();
    const out = await up.upscale(pixels, {
      signal: ctrl.signal,
      onProgress: (done, total) => {
        ui.progress.value = total ? done / total : 0;
        ui.status.textContent = `Upscaling: ${Math.floor((100 * done) / Math.max(1, total))}%…`;
      },
    });
    hooks.ms = performance.now() - t0;
    hooks.output = out;
    ui.vivid.getContext('2d')!.putImageData(out, 0, 0);
    await offerDownload(file.name);
    setState('done', `Done in ${(hooks.ms / 1000).toFixed(1)} s. Drag the slider to compare.`);
  } catch (e) {
    const err = e as Error;
    if (err.name === 'AbortError') setState('ready', 'Cancelled.');
    else {
      hooks.error = err.message;
      setState('error', `Failed: ${err.message}`, true);
      console.error(e);
    }
  } finally {
    if (running === ctrl) running = null;
    ui.cancel.disabled = running === null;
    settle();
  }
}

async function offerDownload(name: string): Promise<void> {
  const blob = await new Promise<Blob | null>((res) => ui.vivid.toBlob(res, 'image/png'));
  if (!blob) return;
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(blob);
  ui.download.href = downloadUrl;
  ui.download.download = `${name.replace(/\.[^.]+$/, '')}_vivid_x4.png`;
  ui.download.classList.remove('disabled');
  ui.download.removeAttribute('aria-disabled');
}

// ---- wiring ----------------------------------------------------------------------------------

ui.file.addEventListener('change', () => {
  const f = ui.file.files?.[0];
  if (f) void upscaleFile(f);
});
ui.cancel.addEventListener('click', () => {
  if (!running) return;
  running.abort(new DOMException('cancelled', 'AbortError'));
  ui.cancel.disabled = true;
  // The GPU finishes the conv in flight; the run stops there.
  ui.status.textContent = 'Cancelling…';
});
ui.slider.addEventListener('input', () => {
  ui.compare.style.setProperty('--split', `${ui.slider.value}%`);
});
for (const type of ['dragenter', 'dragover'] as const) {
  ui.drop.addEventListener(type, (ev) => {
    ev.preventDefault();
    ui.drop.classList.add('over');
  });
}
ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
ui.drop.addEventListener('drop', (ev) => {
  ev.preventDefault();
  ui.drop.classList.remove('over');
  const f = ev.dataTransfer?.files[0];
  if (f && f.type.startsWith('image/')) void upscaleFile(f);
});

start().catch((e: Error) => {
  hooks.error = e.message;
  setState('error', `Could not start: ${e.message}`, true);
  console.error(e);
});
