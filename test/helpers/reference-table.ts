// Reads the Set5 reference figures from ../shared/reference/set5_x4.md (measured by independent
// implementations) so tests compare against the published table, not numbers copied here.

import { readFileSync } from 'node:fs';
import { sharedPath } from './shared.ts';

export interface ReferenceRow {
  model: string;
  perImage: number[];
  mean: number;
}

export function set5Reference(): ReferenceRow[] {
  const text = readFileSync(sharedPath('reference/set5_x4.md'), 'utf8');
  const rows: ReferenceRow[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim()).filter(Boolean);
    if (cells.length !== 7) continue;
    const nums = cells.slice(1).map(Number);
    if (nums.some((v) => !Number.isFinite(v))) continue;
    rows.push({ model: cells[0]!, perImage: nums.slice(0, 5), mean: nums[5]! });
  }
  return rows;
}

export function referenceFor(model: RegExp): ReferenceRow {
  const row = set5Reference().find((r) => model.test(r.model));
  if (!row) throw new Error(`no row matching ${model} in set5_x4.md`);
  return row;
}
