import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WeightsFormatError, detectWeightsFormat, loadWeightsFile, writeSafetensors } from '../../src/io/weights/index.ts';
import { hasShared, sharedPath } from '../helpers/shared.ts';

describe('loadWeightsFile picks the reader by content', () => {
  it('safetensors, whatever the extension; unknown files and folders get a clear error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vivid-w-'));
    try {
      const st = join(dir, 'weights.bin');
      writeFileSync(st, writeSafetensors([{ name: 'a', shape: [2], dtype: 'F32', data: new Float32Array([1, 2]) }]));
      expect(detectWeightsFormat(st)).toBe('safetensors');
      expect([...loadWeightsFile(st).get('a')!.data]).toEqual([1, 2]);

      const junk = join(dir, 'junk.pth');
      writeFileSync(junk, 'hello world');
      expect(() => loadWeightsFile(junk)).toThrow(WeightsFormatError);
      expect(() => loadWeightsFile(junk)).toThrow(/junk\.pth: unknown weights format .*first bytes: 68 65 6c 6c/);
      const empty = join(dir, 'empty.safetensors');
      writeFileSync(empty, '');
      expect(() => loadWeightsFile(empty)).toThrow(/empty\.safetensors: unknown weights format .*the file is empty/);
      expect(() => loadWeightsFile(dir)).toThrow(/folder without model\.json/);
      expect(() => loadWeightsFile(join(dir, 'nope'))).toThrow(/nope: no such file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasShared('weights'))('shared files: legacy and zip PyTorch, tfjs folder', () => {
    expect(loadWeightsFile(sharedPath('weights/leftthomas-srgan/netG_epoch_2_100.pth')).size).toBe(76);
    expect(loadWeightsFile(sharedPath('weights/srresnet8-pytorch/srresnet8_x4.pth')).size).toBe(121);
    expect(detectWeightsFormat(sharedPath('weights/vgg19-keras-tfjs'))).toBe('tfjs');
    expect(loadWeightsFile(sharedPath('weights/vgg19-keras-tfjs')).size).toBe(16);
  });
});
