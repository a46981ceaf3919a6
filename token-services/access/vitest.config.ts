/**
 * The access worker's tests inside workerd, with its real wrangler.toml (whose compatibility
 * date must match the ingress's). This file runs in Node: it generates the
 * ACCESS_SIGNING_KEYS secret fresh for every run (current and previous), so no key is ever
 * stored. The shared code's tests run here too.
 */
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import { generateSigningJwk, signingKeysSecret } from '../shared/generate.js'
import { REPO, workerConfig } from '../testing/config.node.js'

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: workerConfig('access') },
      miniflare: {
        bindings: {
          ACCESS_SIGNING_KEYS: signingKeysSecret(
            await generateSigningJwk(),
            await generateSigningJwk(),
          ),
        },
      },
    })),
  ],
  test: {
    name: 'token-services-access',
    root: REPO,
    include: ['token-services/access/**/*.test.ts', 'token-services/shared/**/*.test.ts'],
  },
})
