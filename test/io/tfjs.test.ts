import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTfjsLayersModel } from '../../src/io/weights/tfjs.ts';
import { WeightsFormatError } from '../../src/io/weights/types.ts';
import { hasShared, sharedPath } from '../helpers/shared.ts';

const VGG = ['weights', 'vgg19-keras-tfjs'];

describe.skipIf(!hasShared(...VGG))('tfjs layers model (VGG19 block1..block3)', () => {
  it('loads HWIO kernels and biases for the eight convolutions', () => {
    const m = readTfjsLayersModel(sharedPath(...VGG));
    const convs: Array<[string, number, number]> = [
      ['block1_conv1', 3, 64], ['block1_conv2', 64, 64], ['block2_conv1', 64, 128], ['block2_conv2', 128, 128],
      ['block3_conv1', 128, 256], ['block3_conv2', 256, 256], ['block3_conv3', 256, 256], ['block3_conv4', 256, 256],
    ];
    expect(m.size).toBe(16);
    for (const [name, cin, cout] of convs) {
      const k = m.get(`${name}/kernel`)!;
      const b = m.get(`${name}/bias`)!;
      expect(k.shape).toEqual([3, 3, cin, cout]);
      expect(b.shape).toEqual([cout]);
      expect(k.dtype).toBe('F32');
      for (const t of [k, b]) {
        for (const v of t.data as Float32Array) if (!Number.isFinite(v) || Math.abs(v) > 10) throw new Error(`${t.name}: implausible ${v}`);
      }
    }
    // The first VGG layer responds to colour: its kernel is not all zeros and has both signs.
    const k1 = m.get('block1_conv1/kernel')!.data as Float32Array;
    expect(Math.min(...k1)).toBeLessThan(0);
    expect(Math.max(...k1)).toBeGreaterThan(0);
    // Reading via model.json gives the same thing.
    expect([...readTfjsLayersModel(sharedPath(...VGG, 'model.json')).keys()]).toEqual([...m.keys()]);
  });
});

describe('tfjs manifest handling', () => {
  function withModel(manifest: unknown, shards: Record<string, Uint8Array>, body: (dir: string) => void): void {
    const dir = mkdtempSync(join(tmpdir(), 'vivid-tfjs-'));
    try {
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', weightsManifest: manifest }));
      for (const [name, bytes] of Object.entries(shards)) writeFileSync(join(dir, name), bytes);
      body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const f32 = (v: number[]): Uint8Array => new Uint8Array(new Float32Array(v).buffer);
  const message = (f: () => unknown): string => {
    try { f(); } catch (e) { expect(e).toBeInstanceOf(WeightsFormatError); return (e as Error).message; }
    throw new Error('expected an error');
  };

  it('concatenates multi-shard groups and dequantises uint8 and float16', () => {
    const all = f32([1, 2, 3, 4, 5, 6]);
    const manifest = [
      { paths: ['a1', 'a2'], weights: [{ name: 'w', shape: [2, 2], dtype: 'float32' }, { name: 'b', shape: [2], dtype: 'float32' }] },
      { paths: ['q'], weights: [
        { name: 'u8', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
        { name: 'h', shape: [1], dtype: 'float32', quantization: { dtype: 'float16' } },
        { name: 'i', shape: [1], dtype: 'int32' },
      ] },
    ];
    const q = new Uint8Array([0, 2, 255, 0x00, 0x3c, 7, 0, 0, 0]);
    withModel(manifest, { a1: all.subarray(0, 10), a2: all.subarray(10), q }, (dir) => {
      const m = readTfjsLayersModel(dir);
      expect([...m.get('w')!.data]).toEqual([1, 2, 3, 4]);
      expect([...m.get('b')!.data]).toEqual([5, 6]);
      expect([...m.get('u8')!.data]).toEqual([-1, 0, 126.5]);
      expect(m.get('u8')!.sourceDtype).toBe('uint8');
      expect([...m.get('h')!.data]).toEqual([1]);
      expect(m.get('i')!.dtype).toBe('I32');
      expect([...m.get('i')!.data]).toEqual([7]);
    });
  });

  it('reports missing shards, wrong sizes and bad manifests clearly', () => {
    const manifest = [{ paths: ['s1'], weights: [{ name: 'w', shape: [2], dtype: 'float32' }] }];
    withModel(manifest, {}, (dir) => expect(message(() => readTfjsLayersModel(dir))).toMatch(/missing weight shard s1/));
    withModel(manifest, { s1: f32([1]) }, (dir) => expect(message(() => readTfjsLayersModel(dir))).toMatch(/shards hold 4 bytes but the weights up to w need 8/));
    withModel(manifest, { s1: f32([1, 2, 3]) }, (dir) => expect(message(() => readTfjsLayersModel(dir))).toMatch(/shards hold 12 bytes but its weights use 8/));
    withModel([{ paths: ['../evil'], weights: [] }], {}, (dir) => expect(message(() => readTfjsLayersModel(dir))).toMatch(/outside the model folder/));
    withModel([{ paths: ['s1'], weights: [{ name: 'w', shape: [1], dtype: 'string' }] }], { s1: f32([1]) },
      (dir) => expect(message(() => readTfjsLayersModel(dir))).toMatch(/unsupported dtype "string"/));
    withModel(undefined, {}, (dir) => expect(message(() => readTfjsLayersModel(dir))).toMatch(/model\.json: has no weightsManifest/));
    expect(message(() => readTfjsLayersModel(join(tmpdir(), 'no-such-model-dir')))).toMatch(/not found/);
  });
});
