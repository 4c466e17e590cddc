// Start-up benchmark (issue 15, "warm start"): `vivid upscale` of a 72×72 image in a new
// process, cold (an empty shader cache) and warm (the cache the cold run filled), on each
// backend. Rounds interleave the backends; each round is one cold run and then `--warm` warm
// runs of the same cache. Wall time and the child's CPU time (all threads) come from
// /usr/bin/time. Writes bench/results/startup.json and prints a Markdown table.
//
//   npx tsx bench/startup.ts [--rounds 2] [--warm 2] [--backends opengl,vulkan]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { folderBytes } from '../src/io/folder.ts';
import { createImage, writeImage } from '../src/io/image.ts';
import { saveJson } from './lib.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const SIZE = 72;

interface Run { backend: string; kind: 'cold' | 'warm'; wallS: number; cpuS: number; peakRssMiB: number; cacheMiB: number; load1: number }

function upscaleOnce(backend: string, image: string, out: string, cache: string): Omit<Run, 'kind'> {
  const load1 = loadavg()[0]!;
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', process.execPath, join(ROOT, 'bin/vivid.js'), 'upscale', image, '-o', out, '--overwrite', '--quiet', '--backend', backend], {
    encoding: 'utf8',
    env: { ...process.env, MESA_SHADER_CACHE_DIR: cache },
  });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`vivid upscale on ${backend} failed (exit ${r.status}):\n${r.stderr}`);
  return { backend, wallS: +m[1]!, cpuS: +m[2]! + +m[3]!, peakRssMiB: +m[4]! / 1024, cacheMiB: folderBytes(cache) / 2 ** 20, load1 };
}

function testImage(): ReturnType<typeof createImage> {
  const img = createImage(SIZE, SIZE);
  for (let i = 0; i < img.data.length; i++) img.data[i] = 0.5 + 0.45 * Math.sin(0.37 * i);
  return img;
}

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, warm: { type: 'string', default: '2' }, backends: { type: 'string', default: 'opengl,vulkan' } } });
const work = mkdtempSync(join(tmpdir(), 'vivid-startup-'));
const image = join(work, `in${SIZE}.png`);
await writeImage(image, testImage());
const runs: Run[] = [];
try {
  for (let round = 0; round < +values.rounds; round++) {
    for (const backend of values.backends.split(',')) {
      const cache = join(work, `cache-${backend}-${round}`);
      const out = join(work, `out-${backend}.png`);
      const show = (x: Run) => console.error(`${x.backend} ${x.kind}: ${x.wallS.toFixed(1)} s wall, ${x.cpuS.toFixed(1)} s CPU, cache ${x.cacheMiB.toFixed(1)} MiB, load ${x.load1.toFixed(1)}`);
      const cold: Run = { ...upscaleOnce(backend, image, out, cache), kind: 'cold' };
      runs.push(cold), show(cold);
      for (let i = 0; i < +values.warm; i++) {
        const warm: Run = { ...upscaleOnce(backend, image, out, cache), kind: 'warm' };
        runs.push(warm), show(warm);
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
saveJson('startup', { date: new Date().toISOString(), size: SIZE, runs });

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor((a.length - 1) / 2)]!;
const cell = (rs: Run[]) => rs.map((r) => `${r.wallS.toFixed(1)} (${r.cpuS.toFixed(1)})`).join(', ');
console.log('| backend | cold: wall s (CPU s) | warm: wall s (CPU s) | warm median wall / CPU | cache | load (1 min) |');
console.log('|---|---|---|---|---|---|');
for (const backend of values.backends.split(',')) {
  const mine = runs.filter((r) => r.backend === backend);
  const cold = mine.filter((r) => r.kind === 'cold'), warm = mine.filter((r) => r.kind === 'warm');
  const loads = mine.map((r) => r.load1);
  console.log(`| ${backend} | ${cell(cold)} | ${cell(warm)} | ${median(warm.map((r) => r.wallS)).toFixed(1)} s / ${median(warm.map((r) => r.cpuS)).toFixed(1)} s | ${median(cold.map((r) => r.cacheMiB)).toFixed(1)} MiB | ${Math.min(...loads).toFixed(0)}–${Math.max(...loads).toFixed(0)} |`);
}
