// Shared bench helpers: run one bench file once per backend (a child process each, so each
// gets its own Dawn instance), time GPU work with tinybench, summarise and save results.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import type { Runtime } from '../src/graph/runtime.ts';
import { quantile } from './tfjs/util.ts';

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
  /** Process CPU time per call (all threads: llvmpipe/lavapipe run the kernels on this
   *  process's threads), and the GFLOP/s that would give on every core of the machine alone:
   *  a contention-independent figure when other work shares the CPUs. */
  cpuMs: number;
  gflopsPerCpuCores: number;
}


/**
 * Time `fn` (which records GPU work) to completion: each sample is fn() + rt.sync().
 * Few iterations: one call is hundreds of ms on a software adapter. CPU time covers the
 * warm-up runs too (2 + iterations calls), not the first call (pipeline compiles).
 */
export async function timeGpu(rt: Runtime, name: string, flops: number, fn: () => void, iterations = 7): Promise<Row> {
  const bench = new Bench({ time: 0, iterations, warmup: true, warmupIterations: 2, warmupTime: 0, retainSamples: true });
  bench.add(name, async () => {
    fn();
    await rt.sync();
  });
  // One call first, outside the CPU-time window: it compiles the pipelines (LLVM on software
  // adapters), which is not the kernels' cost.
  fn();
  await rt.sync();
  const c0 = process.cpuUsage();
  await bench.run();
  const used = process.cpuUsage(c0);
  const cpu = (used.user + used.system) / 1000 / (iterations + 2);
  const r = bench.tasks[0]!.result as { latency?: { samples?: readonly number[] } } & { state: string; error?: unknown };
  const samples = [...(r.latency?.samples ?? [])].sort((a, b) => a - b);
  if (!samples.length) throw new Error(`${name}: no samples (${r.state}${r.error ? ': ' + String(r.error) : ''})`);
  const medianMs = quantile(samples, 0.5);
  const cores = availableParallelism();
  return {
    name, flops, medianMs, p90Ms: quantile(samples, 0.9), gflops: flops / (medianMs * 1e6), samples: samples.length,
    cpuMs: cpu, gflopsPerCpuCores: (flops * cores) / (cpu * 1e6),
  };
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
      'cpu ms/call': r.cpuMs.toFixed(0),
      'GFLOP/s if CPUs idle': r.gflopsPerCpuCores.toFixed(1),
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
