// Runs tfjs cases on several backends, one child process per (backend, case) because a
// process keeps the first tfjs backend it initialises; prints one JSON line per result and a
// summary table on stderr.
//   npx tsx bench/tfjs/all.ts [--backends webgpu-opengl,webgpu-vulkan,wasm,cpu]
//        [--cases conv-fwd,gen-64,...] [--runs 3] [--warmup 1] [--timeout-s 300]
// Cases too large for cpu are skipped there. A case that fails or times out prints {error}.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TFJS_BACKENDS } from './backends.ts';
import { CASES } from './cases.ts';
import { parseArgs } from './args.ts';

const args = parseArgs(process.argv.slice(2));
const backends = (args.get('backends') ?? TFJS_BACKENDS.join(',')).split(',');
const cases = (args.get('cases') ?? Object.keys(CASES).join(',')).split(',');
const runScript = fileURLToPath(new URL('./run.ts', import.meta.url));
const rows: string[] = [];

for (const backend of backends) {
  for (const name of cases) {
    if (backend === 'cpu' && !CASES[name]?.small) continue;
    // node --import tsx (not npx tsx): one process, so the timeout's SIGKILL really ends it.
    const childArgs = ['--import', 'tsx', runScript, '--backend', backend, '--case', name, '--runs', args.get('runs') ?? '3', '--warmup', args.get('warmup') ?? '1'];
    for (const k of ['mode', 'output', 'seed']) if (args.has(k)) childArgs.push(`--${k}`, args.get(k)!);
    const r = spawnSync(process.execPath, childArgs, { encoding: 'utf8', timeout: Number(args.get('timeout-s') ?? 300) * 1000, killSignal: 'SIGKILL' });
    const line = r.stdout?.split('\n').reverse().find((l) => l.startsWith('{'));
    let rec: Record<string, unknown>;
    if (line) rec = JSON.parse(line) as Record<string, unknown>;
    else {
      const why = r.error ? String(r.error.message) : (r.stderr ?? '').trim().split('\n').filter((l) => /Error/.test(l)).slice(-1)[0] ?? `exit ${r.status}`;
      rec = { case: name, backend, error: why };
    }
    console.log(JSON.stringify(rec));
    rows.push(`${backend.padEnd(14)} ${name.padEnd(22)} ${rec.error ? `ERROR ${rec.error}` : `median ${rec.median_ms} ms  p90 ${rec.p90_ms} ms  (first ${rec.first_ms} ms, ${rec.runs} runs)`}`);
  }
}
console.error(rows.join('\n'));
