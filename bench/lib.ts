// Shared bench helpers: run one bench file once per backend (a child process each, so each
// gets its own Dawn instance), time GPU work with tinybench, summarise and save results.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import type { Runtime } from '../src/graph/runtime.ts';

export const BACKENDS = ['opengl', 'vulkan'] as const;

/**
 * Without VIVID_BACKEND, re-run `file` (the caller's import.meta.url) once per backend and
 * return true: the caller should stop. With it, return false: the caller benches that backend.
 */
export function forEachBackend(file: string): boolean {
  if (process.env.VIVID_BACKEND) return false;
  for (const backend of BACKENDS) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(file), ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, VIVID_BACKEND: backend },
    });
    if (r.status !== 0) console.error(`bench on ${backend} failed (exit ${r.status})`);
  }
  return true;
}

export interface Row {
  name: string;
  /** Floating-point operations per call. */
  flops: number;
  medianMs: number;
  p90Ms: number;
  gflops: number;
  samples: number;
}

function quantile(sorted: readonly number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i), hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

/**
 * Time `fn` (which records GPU work) to completion: each sample is fn() + rt.sync().
 * Few iterations: one call is hundreds of ms on a software adapter.
 */
export async function timeGpu(rt: Runtime, name: string, flops: number, fn: () => void, iterations = 7): Promise<Row> {
  const bench = new Bench({ time: 0, iterations, warmup: true, warmupIterations: 2, warmupTime: 0, retainSamples: true });
  bench.add(name, async () => {
    fn();
    await rt.sync();
  });
  await bench.run();
  const r = bench.tasks[0]!.result as { latency?: { samples?: readonly number[] } } & { state: string; error?: unknown };
  const samples = [...(r.latency?.samples ?? [])].sort((a, b) => a - b);
  if (!samples.length) throw new Error(`${name}: no samples (${r.state}${r.error ? ': ' + String(r.error) : ''})`);
  const medianMs = quantile(samples, 0.5);
  return { name, flops, medianMs, p90Ms: quantile(samples, 0.9), gflops: flops / (medianMs * 1e6), samples: samples.length };
}

export function printTable(title: string, rows: readonly Row[]): void {
  console.log(`\n${title}`);
  console.table(
    rows.map((r) => ({
      case: r.name,
      'GFLOP/s': r.gflops.toFixed(1),
      'median ms': r.medianMs.toFixed(1),
      'p90 ms': r.p90Ms.toFixed(1),
      runs: r.samples,
    })),
  );
}

export function saveJson(name: string, data: unknown): string {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}.json`, dir);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return fileURLToPath(file);
}
