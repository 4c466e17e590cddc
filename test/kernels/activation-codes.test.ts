// One activation enum (src/kernels/activation.ts ACT) for every shader that applies
// activations: the conv epilogue's act() is the same text in the three conv shaders, and each
// shader's case for a code computes the activation of that name.

import { describe, expect, it } from 'vitest';
import { ACT } from '../../src/kernels/activation.ts';
import { declText, shaderSource as source } from '../helpers/wgsl.ts';

const fnText = (src: string, name: string) => declText(src, `fn ${name}(`);

/** case code → the expression its `case Nu: { return EXPR; }` returns. */
function cases(fn: string): Map<number, string> {
  return new Map([...fn.matchAll(/case (\d+)u: \{ return (.*?); \}/g)].map((m) => [Number(m[1]), m[2]!]));
}

// How each activation's formula reads in WGSL (forward; gradient from s = x or y).
const FORWARD: Partial<Record<keyof typeof ACT, RegExp>> = {
  relu: /^max\(\w+, 0\.0\)$/,
  leaky: /^select\((p\.)?slope \* \w+, \w+, \w+ > 0\.0\)$/,
  prelu: /^select\(alpha\[c \* alpha_stride\] \* z, z, z > 0\.0\)$/,
  tanh: /^tanh\(clamp\(\w+, -15\.0, 15\.0\)\)$/,
  sigmoid: /^1\.0 \/ \(1\.0 \+ exp\(-v\)\)$/,
};
const GRADIENT: Partial<Record<keyof typeof ACT, RegExp>> = {
  relu: /^select\(0\.0, g, s > 0\.0\)$/,
  leaky: /^select\(p\.slope \* g, g, s > 0\.0\)$/,
  tanh: /^g \* \(1\.0 - s \* s\)$/,
  sigmoid: /^g \* s \* \(1\.0 - s\)$/,
};

function expectCodes(fn: string, formulas: typeof FORWARD, what: string): void {
  const found = cases(fn);
  const expected = Object.keys(formulas) as Array<keyof typeof ACT>;
  expect([...found.keys()].sort(), `${what}: case codes`).toEqual(expected.map((k) => ACT[k]).sort());
  for (const k of expected) expect(found.get(ACT[k]), `${what}: case ${ACT[k]}u is ${k}`).toMatch(formulas[k]!);
}

describe('activation codes', () => {
  it('the conv epilogue act() is identical in the three conv shaders and follows ACT', () => {
    const [first, ...rest] = ['conv2d', 'conv2d_rgb', 'conv2d_winograd'].map((s) => fnText(source(s), 'act'));
    for (const other of rest) expect(other).toBe(first);
    const { sigmoid: _, ...conv } = FORWARD;
    expectCodes(first!, conv, 'conv epilogue');
    expect(first, 'no code: identity').toMatch(/default: \{ return z; \}/);
  });

  it('activation.wgsl act() and act_grad() follow ACT', () => {
    const src = source('activation');
    const { prelu: _, ...pointwise } = FORWARD;
    expectCodes(fnText(src, 'act'), pointwise, 'act');
    expectCodes(fnText(src, 'act_grad'), GRADIENT, 'act_grad');
  });
});
