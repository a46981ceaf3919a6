/**
 * The token services as another worker sees them: a probe worker with the ingress's service
 * bindings, and the real token workers bundled as auxiliary workers (a cross-worker binding,
 * not the loopback the services' own tests use). Runs in Node; keys and bundles are made
 * fresh for every run in a temporary folder.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import { REPO, compatibilityDate } from '../config.node.js'
import { tokenWorkers } from '../workers.node.js'

const probe = `${REPO}/token-services/testing/bindings/wrangler.toml`

export default defineConfig({
  plugins: [
    cloudflareTest(async () => {
      if (compatibilityDate(probe) !== compatibilityDate(`${REPO}/wrangler.toml`)) {
        throw new Error(`${probe}: compatibility_date differs from the ingress's`)
      }
      const outDir = mkdtempSync(join(tmpdir(), 'portcullis-token-workers-'))
      process.once('exit', () => rmSync(outDir, { recursive: true, force: true }))
      const { workers } = await tokenWorkers({ outDir })
      return { wrangler: { configPath: probe }, miniflare: { workers } }
    }),
  ],
  test: {
    name: 'token-services-bindings',
    root: REPO,
    include: ['token-services/testing/bindings/*.test.ts'],
  },
})
