// Command-line parsing for every `vivid` command: one table per command describes its options
// (type, short letter, placeholder, help text), and from it come the parse (node:util parseArgs
// underneath), the help text, and the errors: a missing required option is named, an unknown
// flag gets the nearest known one suggested. Every command also takes the COMMON_OPTIONS.

import { parseArgs } from 'node:util';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Single-letter form, -x. */
  short?: string;
  /** More single letters meaning the same option (realesrgan-ncnn-vulkan's -n for the model). */
  aliases?: string[];
  /** Placeholder shown in the help, e.g. '<path>'. */
  value?: string;
  help: string;
  multiple?: boolean;
  /** Shown as "(required)" and checked after parsing. */
  required?: boolean;
}

export type OptionTable = Record<string, OptionSpec>;

export interface CommandSpec<O extends OptionTable = OptionTable> {
  name: string;
  /** What follows `vivid <name>` in the usage line, e.g. '<files|dirs...> -o <file|dir> [options]'. */
  usage: string;
  options: O;
  /** Names the positional arguments; how many are allowed. */
  positionals?: { name: string; min: number; max?: number };
  /** Extra paragraphs after the option list. */
  notes?: string;
}

/** Options every command takes. */
export const COMMON_OPTIONS = {
  backend: { type: 'string', value: '<B>', help: 'auto | vulkan | opengl (also VIVID_BACKEND)' },
  quiet: { type: 'boolean', help: 'no progress output' },
  json: { type: 'boolean', help: 'print the result as JSON on stdout (progress stays on stderr)' },
  verbose: { type: 'boolean', short: 'v', help: 'show everything, including driver warnings viVID hides' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
} as const satisfies OptionTable;

type ValueOf<S extends OptionSpec> = S extends { type: 'boolean' } ? boolean
  : S extends { multiple: true } ? string[]
  : S extends { required: true } ? string
  : string | undefined;

export type ParsedValues<O extends OptionTable> = { [K in keyof (O & typeof COMMON_OPTIONS)]: ValueOf<(O & typeof COMMON_OPTIONS)[K]> };

/** A mistake in how the command was called: main prints it with a pointer to the help, exit 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command: string) {
    super(message);
  }
}

function flagLabel(name: string, spec: OptionSpec): string {
  const shorts = [spec.short, ...(spec.aliases ?? [])].filter(Boolean).map((s) => `-${s}`);
  return [...shorts, `--${name}`].join(', ') + (spec.value ? ` ${spec.value}` : '');
}

/** `summary` is the command's line in `vivid help` (src/cli/main.ts holds it). */
export function helpText(spec: CommandSpec, summary: string): string {
  const all: OptionTable = { ...spec.options, ...COMMON_OPTIONS };
  const labels = Object.entries(all).map(([name, o]) => flagLabel(name, o));
  const width = Math.min(28, Math.max(...labels.map((l) => l.length)) + 2);
  const rows = Object.entries(all).map(([name, o], i) => {
    const label = labels[i]!;
    const text = (o.required ? '(required) ' : '') + o.help;
    const [first, ...more] = text.split('\n');
    const head = label.length + 2 > width ? `  ${label}\n  ${' '.repeat(width)}${first}` : `  ${label.padEnd(width)}${first}`;
    return [head, ...more.map((m) => `  ${' '.repeat(width)}${m}`)].join('\n');
  });
  return [`usage: vivid ${spec.name} ${spec.usage}`, '', summary, '', 'options:', ...rows, ...(spec.notes ? ['', spec.notes] : [])].join('\n');
}

/** Levenshtein distance, for suggesting the flag the user probably meant. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

/** The known option nearest to `flag` (e.g. '--ouput' → '--output'), if one is close. */
export function nearestFlag(flag: string, table: OptionTable): string | undefined {
  const name = flag.replace(/^-+/, '').split('=')[0]!;
  let best: string | undefined, bestD = Infinity;
  for (const known of Object.keys(table)) {
    const d = known.startsWith(name) && name.length >= 2 ? 0.5 : editDistance(name, known);
    if (d < bestD) [best, bestD] = [known, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(name.length / 3)) ? `--${best}` : undefined;
}

/** Parse `args` for `spec`; throws UsageError for anything the user must change. */
export function parseCommand<O extends OptionTable>(spec: CommandSpec<O>, args: string[]): { values: ParsedValues<O>; positionals: string[] } {
  const table: OptionTable = { ...spec.options, ...COMMON_OPTIONS };
  const aliasOf = new Map<string, string>();
  for (const o of Object.values(table)) for (const a of o.aliases ?? []) aliasOf.set(`-${a}`, `-${o.short}`);
  const argv = args.map((a) => aliasOf.get(a) ?? a);
  const options = Object.fromEntries(Object.entries(table).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]));
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(parseProblem(e as Error & { code?: string }, table), spec.name);
  }
  const values = parsed.values as Record<string, unknown>;
  for (const [name, o] of Object.entries(table)) if (o.type === 'boolean') values[name] ??= false;
  if (values.help) return { values: values as ParsedValues<O>, positionals: parsed.positionals };
  for (const [name, o] of Object.entries(table)) {
    if (o.required && values[name] === undefined) throw new UsageError(`missing ${flagLabel(name, o)}: ${o.help.split('\n')[0]}`, spec.name);
  }
  const pos = spec.positionals;
  const n = parsed.positionals.length;
  if (!pos && n) throw new UsageError(`unexpected argument '${parsed.positionals[0]}' (this command takes options only)`, spec.name);
  if (pos && n < pos.min) throw new UsageError(`missing ${pos.name}`, spec.name);
  if (pos?.max !== undefined && n > pos.max) throw new UsageError(`too many arguments: expected ${pos.name}, got ${n}`, spec.name);
  return { values: values as ParsedValues<O>, positionals: parsed.positionals };
}

/** parseArgs' errors, rephrased: the unknown flag with a suggestion, the option lacking a value
 *  (or given one that starts with '-', which parseArgs takes for a flag). */
function parseProblem(e: Error & { code?: string }, table: OptionTable): string {
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(e.message)?.[1] ?? '?';
    const near = nearestFlag(flag, table);
    return `unknown option '${flag}'${near ? `; did you mean ${near}?` : ''}`;
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const m = /Option '([^']+)'/.exec(e.message);
    if (m && /argument missing/.test(e.message)) return `option ${m[1]!.replace(/ <value>$/, '')} needs a value`;
    const dash = /use '(--[\w-]+)=-XYZ'/.exec(e.message);
    if (m && dash) return `option ${m[1]} needs a value; one that starts with '-' is written ${dash[1]}=-value`;
    if (m) return `option ${m[1]!.replace(/ <value>$/, '')} takes no value`;
  }
  return e.message;
}
