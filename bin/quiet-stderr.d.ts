export const DAWN_NOISE: RegExp;
export function noiseFilter(): { feed(chunk: string): string; end(): string };
export function runQuiet(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number>;
export function wantsFilter(args: string[], env?: NodeJS.ProcessEnv): boolean;
