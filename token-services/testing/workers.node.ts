/**
 * The two token workers as auxiliary workers of another vitest workers-pool project (the
 * ingress's tests), so those tests call the real services over real service bindings. Runs
 * in Node, in a vitest config: each worker is bundled with esbuild into `outDir` (outside the
 * repository), with signing keys generated for the run unless the caller passes its own.
 *
 * The ingress's wrangler config declares the bindings (`services` with `entrypoint`); the
 * names here are the workers' names from their wrangler.toml files.
 */
import { build } from 'esbuild'
import {
  generateSigningJwk,
  signingKeysSecret,
  type PrivateSigningJwk,
} from '../shared/generate.js'
import { REPO, compatibilityDate, workerConfig } from './config.node.js'

// A type, not an interface: the pool's options want an object with an index signature.
export type AuxiliaryWorker = {
  name: string
  modules: true
  /** The bundle's folder: module paths are resolved within it (workerd refuses `..`). */
  modulesRoot: string
  scriptPath: string
  compatibilityDate: string
  bindings: Record<string, string>
  durableObjects?: Record<string, { className: string; useSQLite: boolean }>
}

export interface TokenWorkers {
  workers: AuxiliaryWorker[]
  /** The keys the workers sign with, for tests that need to craft tokens of their own. */
  keys: { access: PrivateSigningJwk; bearer: PrivateSigningJwk }
}

async function bundle(service: 'access' | 'bearer', outDir: string): Promise<string> {
  const outfile = `${outDir}/${service}-token.mjs`
  await build({
    entryPoints: [`${REPO}/token-services/${service}/index.ts`],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    // jose's build for workerd; `cloudflare:*` modules are the runtime's own.
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['cloudflare:*'],
    logLevel: 'warning',
  })
  return outfile
}

export async function tokenWorkers(opts: {
  outDir: string
  keys?: Partial<TokenWorkers['keys']>
}): Promise<TokenWorkers> {
  const keys = {
    access: opts.keys?.access ?? (await generateSigningJwk()),
    bearer: opts.keys?.bearer ?? (await generateSigningJwk()),
  }
  return {
    keys,
    workers: [
      {
        name: 'portcullis-access-token',
        modules: true,
        modulesRoot: opts.outDir,
        scriptPath: await bundle('access', opts.outDir),
        compatibilityDate: compatibilityDate(workerConfig('access')),
        bindings: { ACCESS_SIGNING_KEYS: signingKeysSecret(keys.access) },
      },
      {
        name: 'portcullis-bearer-token',
        modules: true,
        modulesRoot: opts.outDir,
        scriptPath: await bundle('bearer', opts.outDir),
        compatibilityDate: compatibilityDate(workerConfig('bearer')),
        bindings: { BEARER_SIGNING_KEYS: signingKeysSecret(keys.bearer) },
        durableObjects: { REVOCATIONS: { className: 'Revocations', useSQLite: true } },
      },
    ],
  }
}
