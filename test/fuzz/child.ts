// The fuzz worker: runs cases [start, end) of a seeded run in order and reports each over IPC
// (a 'start' before the input is touched, an outcome after), so the parent can blame a hang,
// a crash or a memory blow-up on the exact case. argv: runSeed start end formats (comma-separated).

import { loadSeeds, makeCase, type CaseFormat } from './cases.ts';

export type Outcome = 'ok' | 'clean' | 'unclean' | 'bad-result';

export type ChildMessage =
  | { t: 'ready'; seeds: number }
  | { t: 'start'; i: number; seed: string; mutation: string; size: number }
  | { t: 'done'; i: number; outcome: Outcome; message: string; ms: number };

// Errors from the JS engine itself mean a parser indexed, allocated or called on bad data
// without checking it first: never an acceptable answer to a bad file.
const ENGINE_ERRORS: Function[] = [TypeError, RangeError, ReferenceError, SyntaxError, URIError, EvalError];

function classifyError(e: unknown, label: string): { outcome: Outcome; message: string } {
  if (!(e instanceof Error)) return { outcome: 'unclean', message: `threw a non-Error: ${String(e)}` };
  const message = `${e.name}: ${e.message}`;
  if (ENGINE_ERRORS.includes(e.constructor)) return { outcome: 'unclean', message: `raw engine error: ${message}` };
  if (!e.message.includes(label)) return { outcome: 'unclean', message: `error does not name the input: ${message}` };
  return { outcome: 'clean', message: message.slice(0, 300) };
}

/** A decoded image must be self-consistent: positive size, matching length, finite samples. */
function checkResult(r: unknown): string | null {
  const img = r as { width?: number; height?: number; channels?: number; data?: ArrayLike<number> };
  if (!img || typeof img.width !== 'number' || !img.data) return null;
  const { width, height, channels, data } = img as { width: number; height: number; channels: number; data: ArrayLike<number> };
  if (!(width > 0 && height > 0) || data.length !== width * height * channels) return `inconsistent image ${width}×${height}×${channels}, ${data.length} values`;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return `non-finite sample at ${i}`;
  return null;
}

async function main(): Promise<void> {
  const [runSeed, start, end] = process.argv.slice(2, 5).map(Number) as [number, number, number];
  const formats = process.argv[5]!.split(',') as CaseFormat[];
  const send = (m: ChildMessage) => new Promise<void>((res) => process.send!(m, () => res()));
  const seeds = loadSeeds();
  await send({ t: 'ready', seeds: seeds.length });
  for (let i = start; i < end; i++) {
    const c = makeCase(seeds, runSeed, i, formats);
    await send({ t: 'start', i, seed: c.seed.name, mutation: c.mutation, size: c.bytes.length });
    const t0 = performance.now();
    let outcome: Outcome = 'ok', message = '';
    try {
      const bad = checkResult(await c.seed.run(c.bytes, c.label));
      if (bad) (outcome = 'bad-result'), (message = bad);
    } catch (e) {
      ({ outcome, message } = classifyError(e, c.label));
    }
    await send({ t: 'done', i, outcome, message, ms: performance.now() - t0 });
  }
  process.disconnect?.();
}

void main();
