/**
 * Stage replicas in the pod: the config's `replicas` turns one stage service into N services
 * (`<id>.1` .. `<id>.N`), each the same process on the same durable consumer.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { REPO_ROOT } from '../cli/root.js'
import { METRICS_ENV } from '../runtime/index.js'
import { podCompose } from './compose.js'

const dir = mkdtempSync(join(tmpdir(), 'portcullis-pod-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function composeWith(replicas: Record<string, number>) {
  const config = JSON.parse(readFileSync(join(REPO_ROOT, 'portcullis.config.json'), 'utf8'))
  config.upstreams.demo.openapi = join(REPO_ROOT, 'demo', 'openapi.json')
  config.replicas = replicas
  const file = join(dir, `replicas-${Object.values(replicas).join('-')}.json`)
  writeFileSync(file, JSON.stringify(config))
  return podCompose({
    configFile: file,
    composeDir: join(REPO_ROOT, 'deploy'),
    repoRoot: REPO_ROOT,
  })
}

it('SUP-020 a stage with replicas runs as one pod service per replica, identical but for the name', () => {
  const compose = composeWith({ requestValidator: 2, backend: 3 })
  const names = Object.keys(compose.services)
  expect(names).toEqual(
    expect.arrayContaining([
      'relay',
      'request-validator.1',
      'request-validator.2',
      'backend-demo.1',
      'backend-demo.2',
      'backend-demo.3',
      'response-validator',
      'audit-sink',
    ]),
  )
  expect(names).not.toContain('request-validator')
  expect(names).not.toContain('backend-demo')
  expect(names).not.toContain('backend-demo.4')
  // Identical but for the metrics port each process of the pod serves on.
  const withoutMetrics = (name: string) => {
    const { environment, ...rest } = compose.services[name]!
    const { [METRICS_ENV]: metrics, ...env } = environment ?? {}
    expect(metrics, name).toMatch(/^127\.0\.0\.1:\d+$/)
    return { ...rest, environment: env }
  }
  expect(withoutMetrics('request-validator.2')).toEqual(withoutMetrics('request-validator.1'))
  expect(withoutMetrics('backend-demo.3')).toEqual(withoutMetrics('backend-demo.1'))
  const ports = Object.values(compose.services).flatMap((s) => s.environment?.[METRICS_ENV] ?? [])
  expect(new Set(ports).size).toBe(ports.length)
  expect(compose.services['backend-demo.1']!.command).toContain('--host')
})

it('one replica keeps the service named after its identity, as before', () => {
  const names = Object.keys(composeWith({ relay: 1 }).services)
  expect(names).toEqual(expect.arrayContaining(['relay', 'request-validator', 'backend-demo']))
  expect(names.filter((n) => /\.\d+$/.test(n))).toEqual([])
})
