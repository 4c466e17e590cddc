// Loading training images: decode + degrade in a worker thread (default) or in-thread.
// Measured on a 1024×644 Urban100 PNG on this 2-core machine: decode ≈0.4 s, ×1/4 bicubic
// ≈1.2 s (DIV2K 2040 px: ≈0.8 s + ≈5 s) — far too slow to do between GPU steps, so the
// sampler asks for images ahead of time and the worker works through them in order.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
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

/**
 * A loader backed by one worker thread. viVID ships TypeScript, so the worker first registers
 * tsx (a dependency) and then imports decode-worker.ts — this works the same under the CLI and
 * under vitest, which do not share a module loader with worker threads.
 */
export function workerLoader(scale: number, blurSigma: number): ImageLoader {
  const tsx = tsxEsmApi();
  const entry = pathToFileURL(fileURLToPath(new URL('./decode-worker.ts', import.meta.url))).href;
  const worker = new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
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
