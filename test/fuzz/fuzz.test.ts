// Seeded, bounded fuzzing of every parser that reads untrusted bytes, through the public
// decode/load functions: each mutated PNG, JPEG, safetensors generator and PyTorch checkpoint
// must end in a result or a clean Error (one that names the input, not a raw TypeError or
// RangeError from the engine) within a time and memory cap. `npm run fuzz` runs the same
// cases for longer (test/fuzz/main.mts), and replays a finding: `npm run fuzz -- --seed S --case I`.

import { describe, expect, it } from 'vitest';
import { runFuzz, type FuzzReport } from './runner.ts';

const SEED = Number(process.env.VIVID_FUZZ_SEED ?? 20261202);
const CAPS = { timeoutMs: 10_000, memoryMb: 2048 };

function summary(r: FuzzReport): string {
  return `seed ${r.seed}: ${r.cases} cases in ${r.wallMs} ms, ${JSON.stringify(r.outcomes)}, slowest ${r.slowestMs.toFixed(0)} ms, peak RSS ${r.peakRssMb.toFixed(0)} MB\n` +
    r.findings.map((f) => `  #${f.index} ${f.seed} [${f.mutation}] ${f.kind}: ${f.detail}`).join('\n');
}

describe('fuzz: mutated inputs end in a result or a clean error', () => {
  it('safetensors generators and PyTorch checkpoints (300 cases)', async () => {
    const r = await runFuzz({ seed: SEED, cases: 300, formats: ['safetensors', 'pth'], ...CAPS });
    expect(r.cases, summary(r)).toBe(300);
    expect(r.findings, summary(r)).toEqual([]);
    // The mutations reach past the first check: both outcomes occur.
    expect(r.outcomes.clean, summary(r)).toBeGreaterThan(50);
    expect(r.outcomes.ok ?? 0, summary(r)).toBeGreaterThan(0);
  });

  it('PNG and JPEG images, including decompression-bomb headers (300 cases)', async () => {
    const r = await runFuzz({ seed: SEED, cases: 300, formats: ['png', 'jpeg'], ...CAPS });
    expect(r.cases, summary(r)).toBe(300);
    expect(r.findings, summary(r)).toEqual([]);
    expect(r.outcomes.clean, summary(r)).toBeGreaterThan(50);
  });
});

describe('fuzz runner', () => {
  it('reports a hang, a memory blow-up and a raw engine error as findings', async () => {
    const r = await runFuzz({ seed: 1, cases: 3, formats: ['selftest'], timeoutMs: 3000, memoryMb: 600 });
    expect(r.findings.map((f) => f.kind).sort(), summary(r)).toEqual(['memory', 'timeout', 'unclean']);
  });
});
