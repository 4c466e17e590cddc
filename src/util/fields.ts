// Field-by-field checks for JSON configurations (training configs, the config stored in a
// generator file). Every failure names the source, the field and what was expected.

export class ConfigError extends Error {
  constructor(source: string, field: string, message: string) {
    super(`${source}: ${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type Checker = (v: unknown, field: string) => void;

export type Checkers = ReturnType<typeof checkers>;

export function checkers(source: string) {
  const fail = (field: string, msg: string): never => {
    throw new ConfigError(source, field, msg);
  };
  const num = (min: number, max = Infinity, opts: { int?: boolean; exclusiveMin?: boolean } = {}): Checker => (v, f) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(f, `expected a number, got ${JSON.stringify(v)}`);
    const n = v as number;
    if (opts.int && !Number.isInteger(n)) fail(f, `expected an integer, got ${n}`);
    if (opts.exclusiveMin ? n <= min : n < min) fail(f, `must be ${opts.exclusiveMin ? '>' : '≥'} ${min}, got ${n}`);
    if (n > max) fail(f, `must be ≤ ${max}, got ${n}`);
  };
  const oneOf = (...values: unknown[]): Checker => (v, f) => {
    if (!values.includes(v)) fail(f, `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(v)}`);
  };
  const str: Checker = (v, f) => {
    if (typeof v !== 'string' || !v) fail(f, `expected a non-empty string, got ${JSON.stringify(v)}`);
  };
  const strings: Checker = (v, f) => {
    if (!Array.isArray(v) || !v.length) fail(f, `expected a non-empty array of strings, got ${JSON.stringify(v)}`);
    (v as unknown[]).forEach((x, i) => str(x, `${f}[${i}]`));
  };
  return { fail, num, oneOf, str, strings };
}
