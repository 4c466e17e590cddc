// Loading training images: decode + degrade in worker threads (default) or in-thread.
// Measured on a 1024×644 Urban100 PNG on this 2-core machine: decode ≈0.4 s, ×1/4 bicubic
// ≈1.2 s (DIV2K 2040 px: ≈0.8 s + ≈5 s) — far too slow to do between GPU steps, so the
// sampler asks for images ahead of time and a small pool of workers works through them.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readImage } from '../io/image.ts';
import { degrade, type DegradedPair } from './patches.ts';

export interface ImageLoader {
  load(path: string): Promise<DegradedPair>;
  close(): Promise<void>;
}

/** In-thread loader: simplest; blocks the event loop while decoding. */
export function inlineLoader(scale: number, blurSigma: number): ImageLoader {
  return {
    load: async (path) => degrade(await readImage(path), scale, blurSigma),
    close: async () => {},
  };
}

/** File URL of tsx's ESM register API (require.resolve would give the CommonJS build). */
function tsxEsmApi(): string {
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(pkgPath), pkg.exports['./esm/api']!.import.default)).href;
}

/** The decode worker: dist/'s compiled module as it is; from the TypeScript sources (tests, the
 *  dev tools) through tsx, a devDependency, since workers do not share their parent's loader. */
function decodeWorker(): Worker {
  if (import.meta.url.endsWith('.js')) return new Worker(new URL('./decode-worker.js', import.meta.url));
  const entry = pathToFileURL(fileURLToPath(new URL('./decode-worker.ts', import.meta.url))).href;
  return new Worker(`import(${JSON.stringify(tsxEsmApi())}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
}

/** One worker thread with its queue of awaited decodes. */
function spawnDecoder(scale: number, blurSigma: number): ImageLoader & { pending(): number } {
  const worker = decodeWorker();
  // Keep the process alive only while a decode is awaited, not for an idle decoder.
  worker.unref();
  const waiting = new Map<number, { resolve: (p: DegradedPair) => void; reject: (e: Error) => void }>();
  let failed: Error | null = null;
  const failAll = (e: Error) => {
    failed = e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on('message', (msg: { id: number; error?: string } & Partial<DegradedPair>) => {
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (!waiting.size) worker.unref();
    if (msg.error) w.reject(new Error(msg.error));
    else w.resolve({ hr: msg.hr!, lr: msg.lr! });
  });
  worker.on('error', (e: unknown) => failAll(new Error(`image decode worker failed: ${(e as Error).message}`)));
  worker.on('exit', (code) => failAll(new Error(`image decode worker exited (code ${code})`)));
  let next = 0;
  return {
    pending: () => waiting.size,
    load(path) {
      if (failed) return Promise.reject(failed);
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ id, path, scale, blurSigma });
      });
    },
    async close() {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}

/** Decoder threads by default: the cores left after the main thread, at most 4. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/**
 * A loader backed by `count` worker threads; each request goes to the least busy one. Which
 * worker decodes an image does not matter: decoding is a pure function of the file, and the
 * sampler consumes images in its own order.
 */
export function workerLoader(scale: number, blurSigma: number, count = defaultWorkers()): ImageLoader & { workers: number } {
  const pool = Array.from({ length: count }, () => spawnDecoder(scale, blurSigma));
  return {
    workers: count,
    load(path) {
      const w = pool.reduce((best, d) => (d.pending() < best.pending() ? d : best));
      return w.load(path);
    },
    async close() {
      await Promise.all(pool.map((d) => d.close()));
    },
  };
}

/**
 * Keep degraded images in memory up to `maxBytes` (first come, first kept): from the second
 * epoch on, the images that fit cost no decode at all. The training sets here (Urban100 half +
 * 3 DIV2K images) take ≈0.6 GB as float32, which matters on a fast GPU, where decoding
 * (seconds per image in JavaScript) would otherwise bound the step rate.
 */
export function cachingLoader(inner: ImageLoader, maxBytes: number): ImageLoader & { cachedBytes(): number } {
  const cache = new Map<string, Promise<DegradedPair>>();
  let bytes = 0;
  return {
    cachedBytes: () => bytes,
    load(path) {
      const hit = cache.get(path);
      if (hit) return hit;
      const p = inner.load(path);
      p.then((pair) => {
        const size = pair.hr.data.byteLength + pair.lr.data.byteLength;
        if (bytes + size <= maxBytes && !cache.has(path)) {
          cache.set(path, p);
          bytes += size;
        }
      }, () => {});
      return p;
    },
    close: () => inner.close(),
  };
}
