// `npm run fuzz`: the suite's fuzz cases for longer. Options (all optional):
//   --minutes N   how long to run (default 10)     --seed S     run seed (default: time-based)
//   --formats a,b png,jpeg,safetensors,pth          --timeout MS per-case cap (default 10000)
//   --memory MB   worker memory cap (default 2048)  --out FILE   findings as JSON
//   --case I      replay case I of --seed alone
// Prints the findings grouped by kind and message; exits 1 when there are any. Every finding
// names its seed and case index, which replay exactly (makeCase in cases.ts).

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FORMATS } from './cases.ts';
import type { Format } from './mutate.ts';
import { runFuzz, type Finding } from './runner.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    seed: { type: 'string' },
    formats: { type: 'string', default: FORMATS.join(',') },
    timeout: { type: 'string', default: '10000' },
    memory: { type: 'string', default: '2048' },
    out: { type: 'string' },
    case: { type: 'string' },
  },
});

const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const formats = values.formats.split(',') as Format[];
for (const f of formats) if (!FORMATS.includes(f)) throw new Error(`--formats: unknown format '${f}' (known: ${FORMATS.join(', ')})`);
const minutes = Number(values.minutes);
console.log(`fuzzing ${formats.join(', ')} ${values.case === undefined ? `for ${minutes} min` : `case ${values.case}`}, seed ${seed}`);

let last = Date.now();
const report = await runFuzz({
  seed,
  formats,
  ...(values.case === undefined ? { durationMs: minutes * 60_000 } : { first: Number(values.case), cases: 1 }),
  timeoutMs: Number(values.timeout),
  memoryMb: Number(values.memory),
  onCase: (i) => {
    if (Date.now() - last > 60_000) {
      last = Date.now();
      console.log(`  ${i + 1} cases…`);
    }
  },
});

/** Findings that differ only in numbers and case names are one problem. */
function groupKey(f: Finding): string {
  return `${f.kind} ${f.seed}: ${f.detail.replace(/fuzz-\d+-\d+\.\w+/g, '<input>').replace(/\d+/g, 'N').slice(0, 160)}`;
}
const groups = new Map<string, Finding[]>();
for (const f of report.findings) groups.set(groupKey(f), [...(groups.get(groupKey(f)) ?? []), f]);

console.log(`${report.cases} cases in ${(report.wallMs / 60_000).toFixed(1)} min: ${JSON.stringify(report.outcomes)}; slowest case ${report.slowestMs.toFixed(0)} ms (#${report.slowestCase}), peak worker RSS ${report.peakRssMb.toFixed(0)} MB`);
for (const [key, fs] of groups) {
  console.log(`${fs.length}× ${key}`);
  for (const f of fs.slice(0, 3)) console.log(`    seed ${seed} case ${f.index} [${f.mutation}]: ${f.detail.slice(0, 300)}`);
}
if (values.out) writeFileSync(values.out, JSON.stringify({ ...report, groups: [...groups.keys()] }, null, 2) + '\n');
process.exitCode = report.findings.length ? 1 : 0;
