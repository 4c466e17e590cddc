// The runtime itself: batching, copies inside a batch, uniform arena overflow, the pool,
// and errors that name the kernel.

import { setImmediate as nodeSetImmediate } from 'node:timers';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isSoftware } from '../../src/graph/device.ts';
import { Runtime } from '../../src/graph/runtime.ts';
import { registerShaderSources } from '../../src/graph/shaders.ts';
import { affine, axpby, fill } from '../../src/kernels/elementwise.ts';
import { gpu } from '../helpers/gpu.ts';

describe('runtime', () => {
  it("while a lavapipe runtime lives dawn's native ticks go through a 1 ms timer; JavaScript's setImmediate is unchanged", async () => {
    // Importing the engine patches nothing: the global is Node's own until a runtime exists.
    expect(globalThis.setImmediate).toBe(nodeSetImmediate);
    const rt = await Runtime.create();
    const throttled = rt.gpu.backend === 'vulkan' && isSoftware(rt.gpu.info);
    // JavaScript callbacks: still an Immediate, with their arguments, and util.promisify works.
    const got = await new Promise((resolve) => expect(setImmediate(resolve, 'arg').constructor.name).toBe('Immediate'));
    expect(got).toBe('arg');
    expect(await promisify(setImmediate)('value')).toBe('value');
    // A callback shaped like dawn's tick (native, anonymous, no parameters) goes on a timer on
    // lavapipe (other adapters keep setImmediate).
    const tick = Object.defineProperty(Math.random.bind(null), 'name', { value: '' });
    expect([Function.prototype.toString.call(tick).includes('[native code]'), tick.length]).toEqual([true, 0]);
    expect((setImmediate(tick) as object).constructor.name).toBe(throttled ? 'Timeout' : 'Immediate');
    expect(globalThis.setImmediate === nodeSetImmediate).toBe(!throttled);
    // GPU work still completes and reads back through the throttled ticks.
    expect([...(await fill(rt, rt.empty([3]), 4).read())]).toEqual([4, 4, 4]);
    // Destroying the last runtime gives the process its own setImmediate back.
    rt.destroy();
    expect(globalThis.setImmediate).toBe(nodeSetImmediate);
    expect((setImmediate(tick) as object).constructor.name).toBe('Immediate');
  });

  it('keeps dispatches recorded before a copy in the same batch', async () => {
    const rt = await gpu();
    const a = fill(rt, rt.empty([5]), 2);
    const b = rt.empty([5]);
    rt.copy(a, b);
    const c = affine(rt, b, 3, 1);
    expect([...(await c.read())]).toEqual([7, 7, 7, 7, 7]);
  });

  it('flushes when the uniform arena fills: thousands of dispatches in one batch stay correct', async () => {
    const rt = await gpu();
    let x = fill(rt, rt.empty([3]), 0);
    for (let i = 0; i < 3000; i++) {
      const y = affine(rt, x, 1, 1);
      x.dispose();
      x = y;
    }
    expect([...(await x.read())]).toEqual([3000, 3000, 3000]);
  });

  it('reuses freed buffers from the pool', async () => {
    const rt = await gpu();
    const a = rt.empty([1000]);
    const buffer = a.buffer;
    a.dispose();
    const b = rt.empty([1000]);
    expect(b.buffer).toBe(buffer);
    expect(() => a.buffer).toThrow(/used after dispose/);
    b.dispose();
  });

  it('names the kernel and the binding when a dispatch is given the wrong bindings', async () => {
    const rt = await gpu();
    const a = rt.empty([4]);
    expect(() => rt.run({ shader: 'elementwise', entry: 'axpby', constants: { WG: 256 } }, { bind: { a, y: a }, uniforms: { n: 4, alpha: 1, beta: 1 }, workgroups: [1] })).toThrow(
      /elementwise:axpby.*binding 'b' not given/,
    );
    expect(() => axpby(rt, a, rt.empty([5]))).toThrow(/shapes \[4\] and \[5\]/);
    expect(() => rt.run({ shader: 'elementwise', entry: 'fill', constants: { WG: 256 } }, { bind: { y: a }, uniforms: { n: 4, alpha: 1 }, workgroups: [1] })).toThrow(
      /uniform field 'beta' missing/,
    );
  });

  it('reports a WGSL compile error naming the kernel and the line', async () => {
    const rt = await gpu();
    registerShaderSources({ broken: '@group(0) @binding(0) var<storage, read_write> y: array<f32>;\n@compute @workgroup_size(1) fn main() { y[0] = undefined_thing; }\n' });
    await expect(rt.compileChecked({ shader: 'broken', entry: 'main' })).rejects.toThrow(/kernel broken:main failed to compile[\s\S]*broken\.wgsl:2/);
  });
});
