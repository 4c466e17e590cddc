import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../../src/io/weights/safetensors.ts';
import { writeFileAtomic } from '../../src/io/atomic.ts';
import { type NamedTensor, WeightsFormatError } from '../../src/io/weights/types.ts';

function sample(): Map<string, NamedTensor> {
  const m = new Map<string, NamedTensor>();
  m.set('conv.weight', { name: 'conv.weight', shape: [2, 3, 1, 1], dtype: 'F32', data: new Float32Array([1, -2, 3.5, 1e-8, -0, 6]) });
  m.set('bn.num_batches_tracked', { name: 'bn.num_batches_tracked', shape: [], dtype: 'I64', data: new BigInt64Array([123456789012345n]) });
  m.set('mask', { name: 'mask', shape: [3], dtype: 'BOOL', data: new Uint8Array([1, 0, 1]) });
  m.set('empty', { name: 'empty', shape: [0, 4], dtype: 'F32', data: new Float32Array(0) });
  return m;
}

/** A hand-made file: header JSON + data bytes. */
function build(header: unknown, data: Uint8Array, lengthOverride?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(lengthOverride ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function expectFormatError(f: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try { f(); } catch (e) { caught = e; }
  expect(caught).toBeInstanceOf(WeightsFormatError);
  expect((caught as Error).message).toMatch(pattern);
}

describe('safetensors', () => {
  it('round-trips tensors and metadata', () => {
    const bytes = writeSafetensors(sample(), { format: 'pt', epoch: '7' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0); // data area aligned
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', epoch: '7' });
    expect([...tensors.keys()]).toEqual([...sample().keys()]);
    for (const [k, t] of sample()) {
      const r = tensors.get(k)!;
      expect(r.shape).toEqual(t.shape);
      expect(r.dtype).toBe(t.dtype);
      expect(r.data).toEqual(t.data);
    }
  });

  it('converts F16, BF16 and F64 to F32', () => {
    const data = new Uint8Array(2 * 2 + 2 * 2 + 8);
    const dv = new DataView(data.buffer);
    dv.setUint16(0, 0x3c00, true); // 1.0 half
    dv.setUint16(2, 0xc100, true); // -2.5 half
    dv.setUint16(4, 0x3f80, true); // 1.0 bf16
    dv.setUint16(6, 0x4049, true); // 3.140625 bf16
    dv.setFloat64(8, 0.1, true);
    const { tensors } = readSafetensors(build({
      h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
      b: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
      d: { dtype: 'F64', shape: [], data_offsets: [8, 16] },
    }, data));
    expect([...tensors.get('h')!.data]).toEqual([1, -2.5]);
    expect(tensors.get('h')!.sourceDtype).toBe('F16');
    expect([...tensors.get('b')!.data]).toEqual([1, 3.140625]);
    expect(tensors.get('d')!.data[0]).toBeCloseTo(0.1, 7);
    expect(tensors.get('d')!.dtype).toBe('F32');
  });

  it('rejects damaged headers with a message saying what is wrong', () => {
    const d8 = new Uint8Array(8);
    const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    expectFormatError(() => readSafetensors(new Uint8Array(5)), /too short/);
    expectFormatError(() => readSafetensors(build(ok, d8, 2 ** 40)), /exceeds the .*limit/);
    expectFormatError(() => readSafetensors(build(ok, d8, 5000)), /truncated: header says its JSON is 5000 bytes/);
    expectFormatError(() => readSafetensors(build(ok, d8).subarray(0, 8 + 54 + 3) /* JSON is 54 bytes */), /truncated: header says 8 bytes of data but the file has/);
    expectFormatError(() => readSafetensors(build(ok, d8, 10)), /not valid UTF-8 JSON/);
    expectFormatError(() => readSafetensors(build([1, 2], d8)), /not an object/);
    expectFormatError(() => readSafetensors(build({ a: { dtype: 'Q4', shape: [2], data_offsets: [0, 8] } }, d8)), /unknown dtype "Q4"/);
    expectFormatError(() => readSafetensors(build({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, d8)), /needs 12 bytes but data_offsets span 8/);
    expectFormatError(() => readSafetensors(build({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, d8)), /invalid shape/);
    expectFormatError(() => readSafetensors(build({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, d8)), /invalid data_offsets/);
    expectFormatError(() => readSafetensors(build({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
    }, d8)), /overlap/);
    expectFormatError(() => readSafetensors(build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, d8)), /belong to no tensor/);
    expectFormatError(() => readSafetensors(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, d8)), /4 trailing data bytes/);
    expectFormatError(() => readSafetensors(build({ __metadata__: { x: 1 }, ...ok }, d8)), /__metadata__.x is not a string/);
    expectFormatError(() => readSafetensors(build({ a: { ...ok.a, extra: 1 } }, d8)), /unknown field "extra"/);
  });

  it('writer checks that data matches dtype and shape', () => {
    const t = (o: Partial<NamedTensor>): NamedTensor => ({ name: 'x', shape: [2], dtype: 'F32', data: new Float32Array(2), ...o });
    expect(() => writeSafetensors([t({ data: new Int32Array(2) })])).toThrow(/is F32 but holds a Int32Array/);
    expect(() => writeSafetensors([t({ shape: [3] })])).toThrow(/2 elements but shape \[3\]/);
    expect(() => writeSafetensors([t({}), t({})])).toThrow(/reserved or repeated/);
    expect(() => writeSafetensors([t({ dtype: 'U8', data: Buffer.from([1, 2]) })])).not.toThrow();
  });

  it('gives a clear error for every truncation point', () => {
    const bytes = writeSafetensors(sample(), { a: 'b' });
    for (let cut = 0; cut < bytes.length; cut++) {
      expectFormatError(() => readSafetensors(bytes.subarray(0, cut), 'x.safetensors'), /^x\.safetensors: /);
    }
  });

  it('writes atomically and leaves no temp file behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vivid-st-'));
    try {
      const path = join(dir, 'w.safetensors');
      writeFileAtomic(path, writeSafetensors(sample()));
      writeFileAtomic(path, writeSafetensors(sample(), { v: '2' }));
      expect(readdirSync(dir)).toEqual(['w.safetensors']);
      expect(readSafetensors(readFileSync(path)).metadata).toEqual({ v: '2' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
