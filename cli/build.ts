/**
 * Bundles each on-prem process (its TypeScript and its packages) into one ES module with
 * esbuild before the stack starts: no TypeScript loader at run time, so a process starts in
 * a fraction of the time and carries no loader thread in its resident memory.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { REPO_ROOT } from './root.js'

/** The main module of every on-prem process, relative to the repository. */
export const PROCESS_MAINS = [
  'bridge/relay/main.ts',
  'validators/request/main.ts',
  'validators/response/main.ts',
  'backend/main.ts',
  'demo/main.ts',
] as const
export type ProcessMain = (typeof PROCESS_MAINS)[number]

/**
 * Builds every process (or the given mains) into `outDir`, each at its path in the repository
 * with `.mjs` for `.ts`; returns the path of each bundle by its main.
 */
export async function buildProcesses<Main extends string = ProcessMain>(
  outDir: string,
  mains: readonly Main[] = PROCESS_MAINS as readonly string[] as readonly Main[],
): Promise<Record<Main, string>> {
  mkdirSync(outDir, { recursive: true })
  await build({
    entryPoints: mains.map((main) => join(REPO_ROOT, main)),
    outbase: REPO_ROOT,
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'linked',
    logLevel: 'error',
    // Packages written as CommonJS (ajv) call require() for Node's own modules.
    banner: {
      js: "import { createRequire as __portcullisRequire } from 'node:module'; const require = __portcullisRequire(import.meta.url);",
    },
  })
  return Object.fromEntries(
    mains.map((main) => [main, join(outDir, main.replace(/\.ts$/, '.mjs'))]),
  ) as Record<Main, string>
}
