/**
 * How a benchmark file runs on its own (`node dist/bench/x.js`): print its figures aligned,
 * and exit non-zero when it failed to run or missed its target, so `npm run bench` can tell.
 */
import { pathToFileURL } from 'node:url';

export type Figures = Record<string, number | string>;

/** True when the module with this `import.meta.url` is the script node was asked to run. */
export function isMainModule(metaUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && metaUrl === pathToFileURL(script).href;
}

export function printFigures(figures: Figures, indent = ''): void {
  const width = Math.max(24, ...Object.keys(figures).map((k) => k.length + 2));
  for (const [key, value] of Object.entries(figures)) console.log(`${indent}${key.padEnd(width)} ${value}`);
}

/** Runs the benchmark, prints its figures, and sets the exit code from `passed`. */
export function runBenchMain(bench: () => Promise<Figures>, passed: (figures: Figures) => boolean): void {
  bench().then(
    (figures) => {
      printFigures(figures);
      if (!passed(figures)) process.exitCode = 1;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
