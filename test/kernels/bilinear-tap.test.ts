// The bilinear tap (four clamped neighbours and their weights) is copied into the three temporal
// shaders that sample at real positions; the copies must stay one text, or flow, warp and blend
// would sample differently.

import { describe, expect, it } from 'vitest';
import { declText, shaderSource } from '../helpers/wgsl.ts';

describe('bilinear tap', () => {
  it('struct Tap and fn tap() are identical in flow, warp and blend', () => {
    const [first, ...rest] = ['flow', 'warp', 'blend'].map((s) => {
      const src = shaderSource(s);
      return declText(src, 'struct Tap') + declText(src, 'fn tap(');
    });
    expect(first).toMatch(/clamp\(x, 0\.0, f32\(w - 1u\)\)/);
    for (const other of rest) expect(other).toBe(first);
  });
});
