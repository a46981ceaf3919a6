/** `portcullis audit …` for tests: a config whose folders live in a temp dir, and a run of the command. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { audit } from '../../cli/commands/audit.js'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The repo's config with its folders moved into `dir`, written as `dir/portcullis.config.json`. */
export function writeAuditConfig(dir: string): string {
  const raw = JSON.parse(readFileSync(join(REPO_ROOT, 'portcullis.config.json'), 'utf8')) as {
    upstreams: Record<string, { openapi: string }>
    paths?: unknown
  }
  for (const u of Object.values(raw.upstreams)) u.openapi = resolve(REPO_ROOT, u.openapi)
  raw.paths = { keys: join(dir, 'keys'), data: join(dir, 'data') }
  const file = join(dir, 'portcullis.config.json')
  mkdirSync(dir, { recursive: true })
  writeFileSync(file, JSON.stringify(raw, null, 2))
  return file
}

/** Runs `portcullis audit <args>` in this process; its exit code and what it printed. */
export async function runAudit(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = ''
  let err = ''
  const code = await audit(
    args,
    { out: { write: (t: string) => (out += t) }, err: { write: (t: string) => (err += t) } },
    env,
  )
  return { code, out, err }
}
