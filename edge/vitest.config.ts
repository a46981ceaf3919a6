/**
 * Runs the edge's tests inside workerd (the workers pool) with the real wrangler.toml. This
 * file runs in Node, so it may read the config; edge code itself never does. POLICY is
 * compiled from the real portcullis.config.json; the link points at a closed port and its
 * seed is generated fresh, so no test can reach a real bus or depend on a stored key.
 */
import { fileURLToPath } from 'node:url'
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { createUser } from '@nats-io/nkeys'
import { defineConfig } from 'vitest/config'
import { edgePolicyOf, loadConfig } from '../config/index.js'

const repo = fileURLToPath(new URL('..', import.meta.url))

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: `${repo}/wrangler.toml` },
      miniflare: {
        bindings: {
          // A JSON round trip: bindings take plain JSON values.
          POLICY: JSON.parse(
            JSON.stringify(edgePolicyOf(loadConfig(`${repo}/portcullis.config.json`))),
          ),
          LINK_URL: 'ws://127.0.0.1:9',
          LINK_NKEY_SEED: new TextDecoder().decode(createUser().getSeed()),
        },
      },
    }),
  ],
  test: {
    name: 'edge',
    root: repo,
    include: ['edge/**/*.test.ts'],
    globalSetup: ['edge/testing/blackhole.setup.ts'],
  },
})
