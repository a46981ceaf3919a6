#!/usr/bin/env node
// `npm test`: format, type and lint checks, then each vitest project in turn (unit, edge inside
// workerd, integration on real nats-servers, end-to-end on the whole stack, faults under
// load), each bounded in time. Ends with one line `tests: N passed, N failed, N skipped`.
// `npm test -- unit edge` runs only the named projects.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// Tests talk to loopback only: no telemetry, no fetch of Cloudflare's request.cf data.
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' }
const bin = (name) => join(root, 'node_modules', '.bin', name)
const MINUTE = 60_000
const PROJECTS = {
  unit: 5 * MINUTE,
  edge: 6 * MINUTE,
  'token-services': 4 * MINUTE,
  integration: 10 * MINUTE,
  e2e: 15 * MINUTE,
  // Faults under load on a stack with two replicas of every stage (tests/ha): about 2.5
  // minutes on two quiet cores.
  ha: 10 * MINUTE,
}
/** What `npm test` runs when no project is named. */
const DEFAULT_PROJECTS = Object.keys(PROJECTS)
/** A name stands for every vitest project it prefixes (token-services-access, ...). */
const SELECTOR = { 'token-services': 'token-services*' }

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const projects = asked.length ? asked : DEFAULT_PROJECTS
for (const p of projects) {
  if (!(p in PROJECTS)) {
    process.stderr.write(`unknown test project ${p}; known: ${Object.keys(PROJECTS).join(', ')}\n`)
    process.exit(2)
  }
}

function run(cmd, args, limitMs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: 'inherit', detached: true })
    const timer = setTimeout(() => {
      process.stderr.write(`\n${args.join(' ')}: over its ${limitMs / MINUTE} min limit, stopped\n`)
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
    }, limitMs)
    const stop = () => {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {}
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
    child.on('exit', (code) => {
      clearTimeout(timer)
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve(code ?? 1)
    })
  })
}

/** What failed, named in the last lines, since a long log is often read from its end. */
const failures = []
const totals = { passed: 0, failed: 0, skipped: 0 }
const started = Date.now()

if (!asked.length) {
  process.stdout.write('\n== format (prettier --check)\n')
  if ((await run(bin('prettier'), ['--check', '--log-level', 'warn', '.'], 2 * MINUTE)) !== 0)
    failures.push('format (prettier --check)')
  process.stdout.write('\n== typecheck (on-prem, edge, token services)\n')
  if ((await run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], 3 * MINUTE)) !== 0)
    failures.push('typecheck (on-prem)')
  if ((await run(bin('tsc'), ['-p', 'edge/tsconfig.json', '--noEmit'], 3 * MINUTE)) !== 0)
    failures.push('typecheck (edge)')
  if ((await run(bin('tsc'), ['-p', 'token-services/tsconfig.json', '--noEmit'], 3 * MINUTE)) !== 0)
    failures.push('typecheck (token services)')
  process.stdout.write('\n== lint (eslint: import walls, floating promises)\n')
  if ((await run(bin('eslint'), ['--max-warnings', '0', '.'], 3 * MINUTE)) !== 0)
    failures.push('lint (eslint)')
}

const out = mkdtempSync(join(tmpdir(), 'portcullis-tests-'))
for (const project of projects) {
  process.stdout.write(`\n== ${project}\n`)
  const report = join(out, `${project}.json`)
  const code = await run(
    bin('vitest'),
    [
      'run',
      '--project',
      SELECTOR[project] ?? project,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
    ],
    PROJECTS[project],
  )
  if (!existsSync(report)) {
    failures.push(`${project}: no report (stopped or crashed, exit ${code})`)
    continue
  }
  const r = JSON.parse(readFileSync(report, 'utf8'))
  totals.passed += r.numPassedTests ?? 0
  totals.failed += r.numFailedTests ?? 0
  totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
  const failed = (r.testResults ?? []).flatMap((file) => {
    const tests = (file.assertionResults ?? []).filter((t) => t.status === 'failed')
    const where = relative(root, file.name)
    if (tests.length === 0 && file.status === 'failed') return [`${project}: ${where}`]
    return tests.map((t) => `${project}: ${where} > ${t.fullName}`)
  })
  failures.push(...failed)
  if (code !== 0 && failed.length === 0) failures.push(`${project}: vitest exit ${code}`)
}
rmSync(out, { recursive: true, force: true })

const seconds = Math.round((Date.now() - started) / 1000)
process.stdout.write(`\n${failures.length ? 'FAILED' : 'ok'} in ${seconds} s\n`)
for (const failure of failures) process.stdout.write(`  failed: ${failure}\n`)
process.stdout.write(
  `tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`,
)
process.exit(failures.length || totals.failed ? 1 : 0)
