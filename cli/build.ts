/**
 * Bundles each on-prem process (its TypeScript and its packages) into one ES module with
 * esbuild before the stack starts: no TypeScript loader at run time, so a process starts in
 * a fraction of the time and carries no loader thread in its resident memory.
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { build } from 'esbuild'
import { REPO_ROOT } from './root.js'

/** The main module of every on-prem process, relative to the repository. */
export const PROCESS_MAINS = [
  'bridge/relay/main.ts',
  'validators/request/main.ts',
  'validators/response/main.ts',
  'backend/main.ts',
  'demo/main.ts',
  'audit/sink/main.ts',
  'console/main.ts',
] as const
export type ProcessMain = (typeof PROCESS_MAINS)[number]

/**
 * Files a bundled package loads at run time from beside its own module
 * (`new URL('./pglite.wasm', import.meta.url)`): copied beside the bundle that holds it.
 */
const RUNTIME_ASSETS: Partial<Record<string, { module: string; files: string[] }>> = {
  'audit/sink/main.ts': {
    module: '@electric-sql/pglite',
    files: ['pglite.wasm', 'pglite.data', 'initdb.wasm'],
  },
}

function copyRuntimeAssets(main: string, outDir: string): void {
  const assets = RUNTIME_ASSETS[main]
  if (!assets) return
  const from = dirname(createRequire(import.meta.url).resolve(assets.module))
  const to = dirname(join(outDir, main))
  for (const file of assets.files) copyFileSync(join(from, file), join(to, file))
}

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
  for (const main of mains) copyRuntimeAssets(main, outDir)
  return Object.fromEntries(
    mains.map((main) => [main, join(outDir, main.replace(/\.ts$/, '.mjs'))]),
  ) as Record<Main, string>
}
