// A process that compiles and runs one kernel doctor's self-check does not (elementwise mul):
// the shader-cache test's proof that a new shader adds entries to the cache.

import { Runtime } from '../../src/graph/runtime.ts';
import { mul } from '../../src/kernels/elementwise.ts';

const rt = await Runtime.create();
const y = mul(rt, rt.tensor([3], [1, 2, 3]), rt.tensor([3], [4, 5, 6]));
const got = [...(await y.read())];
rt.destroy();
if (got.join() !== '4,10,18') throw new Error(`mul gave ${got}`);
