/**
 * Runs the edge's tests inside workerd (the workers pool) with the real wrangler.toml. This
 * file runs in Node, so it may read the config; edge code itself never does. POLICY is
 * compiled from the real portcullis.config.json; the link points at a closed port and its
 * credentials are generated fresh (a throwaway account signs them), so no test can reach a
 * real bus or depend on a stored key. The
 * token workers run beside the ingress as auxiliary workers behind its real service
 * bindings, bundled into a temporary folder with signing keys generated for the run.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { createAccount, createUser, encodeUser, fmtCreds } from '@nats-io/jwt'
import { defineConfig } from 'vitest/config'
import { edgePolicyOf, loadConfig } from '../config/index.js'
import { tokenWorkers } from '../token-services/testing/workers.node.js'

const repo = fileURLToPath(new URL('..', import.meta.url))

async function throwawayCreds(): Promise<string> {
  const user = createUser()
  const jwt = await encodeUser('edge-local', user, createAccount(), {
    allowed_connection_types: ['WEBSOCKET'],
  })
  return new TextDecoder().decode(fmtCreds(jwt, user))
}

export default defineConfig({
  plugins: [
    cloudflareTest(async () => {
      const outDir = mkdtempSync(join(tmpdir(), 'portcullis-edge-token-workers-'))
      process.once('exit', () => rmSync(outDir, { recursive: true, force: true }))
      const { workers, keys } = await tokenWorkers({ outDir })
      return {
        wrangler: { configPath: `${repo}/wrangler.toml` },
        miniflare: {
          workers,
          bindings: {
            // A JSON round trip: bindings take plain JSON values.
            POLICY: JSON.parse(
              JSON.stringify(edgePolicyOf(loadConfig(`${repo}/portcullis.config.json`))),
            ),
            LINK_URL: 'ws://127.0.0.1:9',
            LINK_CREDS: await throwawayCreds(),
            // Test only: the bearer service's private key, so attack tests can sign tokens
            // with the right key and the wrong claims. Generated for this run.
            TEST_BEARER_KEY: JSON.stringify(keys.bearer),
          },
        },
      }
    }),
  ],
  test: {
    name: 'edge',
    root: repo,
    include: ['edge/**/*.test.ts'],
    // Both cores: vitest's default leaves one idle on a two-core machine.
    maxWorkers: 2,
    globalSetup: ['edge/testing/blackhole.setup.ts', 'edge/testing/trap.setup.ts'],
  },
})
