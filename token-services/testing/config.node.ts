/**
 * Node side of the tests' vitest configs: the worker's wrangler.toml, refused when its
 * compatibility date has drifted from the ingress's (the root wrangler.toml), so the three
 * workers of a stack always run with the same runtime behaviour.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))

export function compatibilityDate(path: string): string {
  const m = /^compatibility_date\s*=\s*"([0-9-]+)"/m.exec(readFileSync(path, 'utf8'))
  if (!m) throw new Error(`no compatibility_date in ${path}`)
  return m[1]!
}

export function workerConfig(service: 'access' | 'bearer'): string {
  const path = `${REPO}/token-services/${service}/wrangler.toml`
  const mine = compatibilityDate(path)
  const ingress = compatibilityDate(`${REPO}/wrangler.toml`)
  if (mine !== ingress) {
    throw new Error(`${path}: compatibility_date ${mine} differs from the ingress's ${ingress}`)
  }
  return path
}
