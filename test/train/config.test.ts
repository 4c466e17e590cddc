// Config files: defaults fill in, every bad field is named, unknown fields are errors.

import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, learningRate, loadConfig, parseConfig } from '../../src/train/config.ts';

describe('training config', () => {
  it('fills defaults and keeps given values', () => {
    const c = parseConfig({ data: ['x'], generator: { blocks: 4 }, lr: 2e-4 });
    expect(c.generator).toEqual({ ...defaultConfig().generator, blocks: 4 });
    expect(c.lr).toBe(2e-4);
    expect(c.batchSize).toBe(16);
  });

  it.each([
    [{ data: ['x'], batchSize: 0 }, /batchSize: must be ≥ 1/],
    [{ data: ['x'], lr: 'fast' }, /lr: expected a number/],
    [{ data: ['x'], stage: 'wgan' }, /stage: must be one of "mse", "gan"/],
    [{ data: ['x'], generator: { scale: 3 } }, /generator\.scale: must be one of 2, 4, 8/],
    [{ data: ['x'], generator: { block: 3 } }, /generator\.block: unknown field/],
    [{ data: ['x'], patchsize: 96 }, /patchsize: unknown field/],
    [{ data: ['x'], patchSize: 30 }, /patchSize: must be a multiple of generator.scale/],
    [{ data: ['x'], stage: 'gan', patchSize: 88 }, /patchSize: .*multiple of 16/],
    [{ data: ['x'], discriminatorWidth: 0 }, /discriminatorWidth: must be ≥/],
    [{ data: ['x'], vggLayers: ['block9_conv1'] }, /vggLayers\[0\]: unknown VGG19 layer/],
    [{ data: [] }, /data: expected a non-empty array/],
    [{}, /data: is required/],
  ])('rejects %j', (json, message) => {
    expect(() => parseConfig(json, 'c.json')).toThrow(message);
  });

  it('loads a file, defaulting out to runs/<name>, and reports bad JSON with the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vivid-config-'));
    writeFileSync(join(dir, 'mine.json'), JSON.stringify({ data: ['d'] }));
    expect(loadConfig(join(dir, 'mine.json')).out).toBe(join('runs', 'mine'));
    writeFileSync(join(dir, 'bad.json'), '{ "data": [');
    expect(() => loadConfig(join(dir, 'bad.json'))).toThrow(/bad\.json: not valid JSON/);
  });

  it('decays the learning rate in steps and applies the NaN back-off', () => {
    const c = parseConfig({ data: ['x'], lr: 1e-4, decayEvery: 100, decayFactor: 0.1 });
    expect(learningRate(c, 1)).toBe(1e-4);
    expect(learningRate(c, 100)).toBe(1e-4);
    expect(learningRate(c, 101)).toBeCloseTo(1e-5, 15);
    expect(learningRate(c, 201, 0.5)).toBeCloseTo(5e-7, 18);
  });

  it('accepts every shipped config, and each init it names exists or is made by another config', () => {
    const names = readdirSync('configs').filter((f) => f.endsWith('.json'));
    expect(names.length).toBeGreaterThanOrEqual(7);
    const configs = names.map((n) => loadConfig(`configs/${n}`));
    const outs = new Set(configs.map((c) => join(c.out, 'generator.safetensors')));
    for (const c of configs) if (c.init) expect(existsSync(c.init) || outs.has(c.init), `${c.out}: init ${c.init}`).toBe(true);
  });
});
