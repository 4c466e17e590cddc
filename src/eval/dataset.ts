// Finding HR/LR pairs in an evaluation folder, in any of the usual layouts:
//   name_HR.png + name_LR.png side by side (Set5 x4 from SelfExSR),
//   HR/ + LR/ subfolders with matching file names (LR/ may be named LR_bicubic_x4 or BIx4),
//   GT/ + BIx4/ (Vid4 sequences: frames in order),
//   HR images alone: LR made with our MATLAB-style bicubic.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

export interface EvalPair {
  name: string;
  hr: string;
  /** null: make LR from HR with bicubic ÷scale. */
  lr: string | null;
}

const IMAGE = /\.(png|jpe?g)$/i;

function images(dir: string): string[] {
  return readdirSync(dir).filter((f) => IMAGE.test(f) && statSync(join(dir, f)).isFile()).sort();
}

function firstDir(root: string, names: string[]): string | null {
  for (const n of names) if (existsSync(join(root, n)) && statSync(join(root, n)).isDirectory()) return join(root, n);
  return null;
}

export function findPairs(dir: string, scale: number): { pairs: EvalPair[]; sequence: boolean } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`evaluation data '${dir}' is not a folder`);
  const hrDir = firstDir(dir, ['HR', 'GT', 'hr']);
  if (hrDir) {
    const lrDir = firstDir(dir, ['LR', `LR_bicubic_x${scale}`, `BIx${scale}`, 'lr']);
    const sequence = basename(hrDir) === 'GT';
    const pairs = images(hrDir).map((f): EvalPair => {
      const stem = basename(f, extname(f));
      const lr = lrDir ? images(lrDir).find((g) => basename(g, extname(g)).replace(new RegExp(`x${scale}$`), '') === stem) : undefined;
      if (lrDir && !lr) throw new Error(`${lrDir} has no LR image for ${f}`);
      return { name: stem, hr: join(hrDir, f), lr: lr ? join(lrDir!, lr) : null };
    });
    return { pairs, sequence };
  }
  const files = images(dir);
  const hrs = files.filter((f) => /_HR\.\w+$/.test(f));
  if (hrs.length) {
    const pairs = hrs.map((f) => {
      const lr = f.replace(/_HR(\.\w+)$/, '_LR$1');
      if (!files.includes(lr)) throw new Error(`${dir}: ${f} has no matching ${lr}`);
      return { name: f.replace(/_HR\.\w+$/, ''), hr: join(dir, f), lr: join(dir, lr) };
    });
    return { pairs, sequence: false };
  }
  if (!files.length) throw new Error(`${dir} holds no PNG or JPEG images`);
  return { pairs: files.map((f) => ({ name: basename(f, extname(f)), hr: join(dir, f), lr: null })), sequence: false };
}
