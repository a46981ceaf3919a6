/**
 * The token workers' tests: `npx vitest run --config token-services/vitest.config.ts`. Each
 * worker is its own project (its own wrangler.toml, bindings and workerd), because the
 * workers pool runs one main worker per project; a third calls both from another worker
 * over service bindings, as the ingress does.
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  test: {
    projects: [
      here('./access/vitest.config.ts'),
      here('./bearer/vitest.config.ts'),
      here('./testing/bindings/vitest.config.ts'),
    ],
  },
})
