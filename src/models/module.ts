// Modules hold named parameters (trained), buffers (state such as batch-norm running
// statistics) and child modules; names join with dots, e.g. `blocks.3.bn1.gamma`.

import { Param, Var } from '../autograd/tape.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { HostTensor, Tensor } from '../graph/tensor.ts';
import type { Rng } from '../util/rng.ts';

export abstract class Module {
  training = true;
  private readonly params = new Map<string, Param>();
  private readonly buffers = new Map<string, Var>();
  private readonly children = new Map<string, Module>();

  constructor(readonly rt: Runtime) {}

  protected param(name: string, value: Tensor): Param {
    const p = new Param(value, name);
    this.params.set(name, p);
    return p;
  }

  protected buffer(name: string, value: Tensor): Var {
    const v = new Var(value, false, name);
    this.buffers.set(name, v);
    return v;
  }

  protected child<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  namedParameters(prefix = ''): Map<string, Param> {
    const out = new Map<string, Param>();
    for (const [n, p] of this.params) out.set(prefix + n, p);
    for (const [n, c] of this.children) for (const [k, p] of c.namedParameters(`${prefix}${n}.`)) out.set(k, p);
    return out;
  }

  namedBuffers(prefix = ''): Map<string, Var> {
    const out = new Map<string, Var>();
    for (const [n, b] of this.buffers) out.set(prefix + n, b);
    for (const [n, c] of this.children) for (const [k, b] of c.namedBuffers(`${prefix}${n}.`)) out.set(k, b);
    return out;
  }

  parameters(): Param[] {
    return [...this.namedParameters().values()];
  }

  /** Parameters and buffers by name: what a checkpoint stores. */
  state(): Map<string, Var> {
    return new Map<string, Var>([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /** Switch training mode (batch statistics) or eval mode (running statistics) recursively. */
  train(on = true): this {
    this.training = on;
    for (const c of this.children.values()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Stop (or resume) computing gradients for this module's parameters. */
  freeze(frozen = true): this {
    for (const p of this.parameters()) p.requiresGrad = !frozen;
    return this;
  }

  /** Overwrite parameters and buffers from host arrays; every name must match in shape. */
  load(values: Map<string, HostTensor>, source = 'weights'): void {
    const state = this.state();
    const problems: string[] = [];
    for (const [name, v] of state) {
      const w = values.get(name);
      if (!w) problems.push(`missing ${name} [${v.shape}]`);
      else if (w.shape.join(',') !== v.shape.join(',')) problems.push(`${name}: expected [${v.shape}], got [${w.shape}]`);
    }
    for (const name of values.keys()) if (!state.has(name)) problems.push(`unexpected ${name} [${values.get(name)!.shape}]`);
    if (problems.length) throw new Error(`${source} do not fit the model:\n  ${problems.join('\n  ')}`);
    for (const [name, v] of state) this.rt.write(v.value, values.get(name)!.data);
  }

  /** Read parameters and buffers back to the host. */
  async snapshot(): Promise<Map<string, HostTensor>> {
    const out = new Map<string, HostTensor>();
    for (const [name, v] of this.state()) out.set(name, { shape: [...v.shape], data: await v.value.read() });
    return out;
  }

  dispose(): void {
    for (const v of this.state().values()) {
      v.value.dispose();
      v.grad?.dispose();
    }
  }
}

/** PyTorch's default conv/linear init: U(−1/√fan_in, 1/√fan_in). */
export function uniformInit(rng: Rng, n: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  return rng.fill(n, (r) => r.uniform(-bound, bound));
}
