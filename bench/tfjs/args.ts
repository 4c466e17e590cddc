// Minimal `--key value` / `--flag` parsing and safetensors helpers for the tfjs bench CLIs.
import { readFileSync, writeFileSync } from 'node:fs';
import { readSafetensors, writeSafetensors } from '../../src/io/weights/safetensors.ts';
import type { NamedTensor } from '../../src/io/weights/types.ts';
import type { WeightMap } from './srresnet.ts';

export function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out.set(a.slice(2), 'true');
    else out.set(a.slice(2), (i++, next));
  }
  return out;
}

/** Reads every F32 tensor of a safetensors file (names and shapes as stored). */
export function readF32(path: string): WeightMap {
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(path)), path);
  const out: WeightMap = new Map();
  for (const [name, t] of tensors) {
    if (!(t.data instanceof Float32Array)) throw new Error(`${path}: ${name} is ${t.dtype}, expected F32`);
    out.set(name, { shape: t.shape, data: t.data });
  }
  return out;
}

export function writeF32(path: string, tensors: Map<string, { shape: readonly number[]; data: Float32Array }>, metadata: Record<string, string> = {}): void {
  const list: NamedTensor[] = [...tensors].map(([name, t]) => ({ name, shape: [...t.shape], dtype: 'F32', data: t.data }));
  writeFileSync(path, writeSafetensors(list, metadata));
}
