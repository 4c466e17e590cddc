// The tape: every op run while gradients are on records a node (its output, its inputs and a
// rule that turns the output's gradient into the inputs'). backward() walks the tape in
// reverse — creation order is already a topological order — summing gradients where a value
// feeds several ops. Off the tape (noGrad / inference), nothing is recorded: scope() owns the
// values created inside it and releases them at its end, and chain() runs layer after layer
// so that each intermediate is released once the next layer has consumed it.

import { accumulate, fill } from '../kernels/elementwise.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Shape, Tensor } from '../graph/tensor.ts';

export class Var {
  grad: Tensor | null = null;
  /** Set by the op that produced this value: inputs, the backward rule and the tensors the
   *  forward kept for it (freed once the rule ran, or when the node is dropped unrun). */
  node: { inputs: Var[]; backward: (grad: Tensor) => Array<Tensor | null>; saved: Tensor[] } | null = null;

  constructor(
    public value: Tensor,
    /** Mutable so a network can be frozen (e.g. the discriminator during the generator step). */
    public requiresGrad = false,
    readonly name?: string,
  ) {}

  get shape(): Shape {
    return this.value.shape;
  }

  get rt(): Runtime {
    return this.value.runtime;
  }

  /** Add a gradient contribution (takes ownership of `g`). */
  addGrad(g: Tensor): void {
    if (!this.grad) this.grad = g;
    else {
      accumulate(this.rt, this.grad, g);
      g.dispose();
    }
  }
}

/** A trainable parameter: persistent value and gradient. */
export class Param extends Var {
  constructor(value: Tensor, name: string) {
    super(value, true, name);
  }

  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }
}

let gradEnabled = true;
const tape: Var[] = [];
/** Vars created inside the innermost scope() (only off the tape). */
let scopeStack: Var[][] = [];

/** Run fn without recording: the inference mode. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Off the tape, dispose every value created inside fn except those returned (a Var or an
 * array/record of Vars). On the tape values must live until backward(), so it just runs fn.
 */
export function scope<T>(fn: () => T): T {
  if (gradEnabled) return fn();
  scopeStack.push([]);
  let created: Var[] = [];
  let result: T;
  try {
    result = fn();
  } finally {
    created = scopeStack.pop()!;
  }
  const keep = new Set<Var>();
  const collect = (v: unknown) => {
    if (v instanceof Var) keep.add(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  collect(result);
  for (const v of created) if (!keep.has(v)) v.value.dispose();
  // Survivors belong to the enclosing scope.
  scopeStack.at(-1)?.push(...keep);
  return result;
}

/**
 * Run layers one after another, each in its own scope(). Off the tape each layer's input is
 * released once the next layer has returned (x itself stays the caller's): the peak is one
 * layer's working set, not the whole network's. On the tape everything lives until backward().
 */
export function chain(x: Var, layers: ReadonlyArray<(h: Var) => Var>): Var {
  let h = x;
  for (const layer of layers) {
    const prev = h;
    h = scope(() => layer(prev));
    // Unrecorded in and out: nothing on the tape holds prev.
    if (prev !== x && prev !== h && !prev.node && !h.node) prev.value.dispose();
  }
  return h;
}

/**
 * Off the tape, in a scope of its own, and hand the result's tensor to the caller: no
 * enclosing scope owns it (an inference call returns a tensor its caller disposes).
 */
export function compute(fn: () => Var): Tensor {
  return noGrad(() => {
    const outer = scopeStack;
    scopeStack = [];
    try {
      return scope(fn).value;
    } finally {
      scopeStack = outer;
    }
  });
}

/** A value computed without an op (a fused inference kernel): owned by the innermost scope
 *  like an op's output, never on the tape. */
export function owned(value: Tensor): Var {
  const v = new Var(value, false);
  scopeStack.at(-1)?.push(v);
  return v;
}

/**
 * Wrap an op's output: record it on the tape when any input needs a gradient. `saved`: tensors
 * the forward made for the backward rule (batch statistics, transforms); they are freed after
 * the rule ran, with the node if it never runs, or at once when nothing is recorded.
 */
export function record(value: Tensor, inputs: Var[], backward: (grad: Tensor) => Array<Tensor | null>, saved: Tensor[] = []): Var {
  const needs = gradEnabled && inputs.some((v) => v.requiresGrad);
  const out = new Var(value, needs);
  if (needs) {
    out.node = { inputs, backward, saved };
    tape.push(out);
  } else {
    for (const t of saved) t.dispose();
    scopeStack.at(-1)?.push(out);
  }
  return out;
}

function releaseSaved(node: NonNullable<Var['node']>): void {
  for (const t of node.saved) t.dispose();
  node.saved = [];
}

/**
 * Backpropagate from a scalar (or from `seed` for a non-scalar root) and accumulate gradients
 * into every Param reached. Only the part of the tape that the root depends on is walked and
 * then released (values and gradients freed); unrelated recordings stay for a later backward —
 * e.g. the generator's forward pass survives the discriminator's update, which saw it detached.
 */
export function backward(root: Var, seed?: Tensor): void {
  const rt = root.rt;
  if (!seed && root.value.size !== 1) throw new Error(`backward() from a non-scalar [${root.shape}] needs a seed gradient`);
  if (!root.node) throw new Error('backward(): the root was not computed on the tape (nothing requires a gradient)');
  const reached = new Set<Var>();
  const stack = [root];
  while (stack.length) {
    const v = stack.pop()!;
    if (reached.has(v) || !v.node) continue;
    reached.add(v);
    stack.push(...v.node.inputs);
  }
  root.addGrad(seed ?? fill(rt, rt.empty([1]), 1));
  for (let i = tape.length - 1; i >= 0; i--) {
    const v = tape[i]!;
    if (!reached.has(v) || !v.grad || !v.node) continue;
    const grads = v.node.backward(v.grad);
    releaseSaved(v.node);
    v.node.inputs.forEach((input, k) => {
      const g = grads[k];
      if (!g) return;
      if (input.requiresGrad) input.addGrad(g);
      else g.dispose();
    });
  }
  release(tape.filter((v) => reached.has(v)));
  const rest = tape.filter((v) => !reached.has(v));
  tape.length = 0;
  tape.push(...rest);
}

function release(vars: Var[]): void {
  for (const v of vars) {
    v.grad?.dispose();
    v.grad = null;
    if (v.node) releaseSaved(v.node);
    v.node = null;
    v.value.dispose();
  }
}

/** Drop the tape without backpropagating (e.g. after a rejected step). */
export function clearTape(): void {
  release(tape);
  tape.length = 0;
}

/** A constant (no gradient) input. */
export function constant(value: Tensor): Var {
  return new Var(value, false);
}
