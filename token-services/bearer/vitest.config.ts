/**
 * The bearer worker's tests inside workerd, with its real wrangler.toml (the `Revocations`
 * Durable Object and its migration; the compatibility date must match the ingress's). This
 * file runs in Node: it generates the BEARER_SIGNING_KEYS secret fresh for every run, so no
 * key is ever stored.
 */
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import { generateSigningJwk, signingKeysSecret } from '../shared/generate.js'
import { REPO, workerConfig } from '../testing/config.node.js'

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: workerConfig('bearer') },
      miniflare: {
        bindings: { BEARER_SIGNING_KEYS: signingKeysSecret(await generateSigningJwk()) },
      },
    })),
  ],
  test: {
    name: 'token-services-bearer',
    root: REPO,
    include: ['token-services/bearer/**/*.test.ts'],
  },
})
