#!/usr/bin/env node
// First step of `npm start`, `npm test` and `npm run bench` on any machine, fresh clone
// included: installs what is missing (npm packages, Debian's nats-server and modsecurity-crs
// (the OWASP Core Rule Set the injection scan reads); for `test` also
// Debian's postgresql and rsyslog, which the tests start, chromium, which the console's browser
// test drives, and the official JSON Schema test
// suite, unpacked from a Debian package; for `bench` Debian's haproxy, the baseline, when it
// can), then runs the command. Plain
// JavaScript on purpose: it must run before any package is installed.
import { spawnSync, spawn } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const [command = 'up', ...rest] = process.argv.slice(2)

function say(message) {
  process.stderr.write(`portcullis: ${message}\n`)
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options })
  return result.status === 0
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

function ensureNpmPackages() {
  const lock = join(root, 'package-lock.json')
  const installed = join(root, 'node_modules', '.package-lock.json')
  if (
    existsSync(installed) &&
    (!existsSync(lock) || statSync(installed).mtimeMs >= statSync(lock).mtimeMs)
  ) {
    return
  }
  say('installing npm packages (npm ci)')
  const ok = existsSync(lock)
    ? run('npm', ['ci', '--no-audit', '--no-fund'])
    : run('npm', ['install'])
  if (!ok) {
    say('npm could not install the packages; run `npm ci` and read its error')
    process.exit(1)
  }
}

const SERVER_PATHS = ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin']

function findNatsServer() {
  if (has('nats-server')) return true
  const found = SERVER_PATHS.find((p) => existsSync(join(p, 'nats-server')))
  if (found) {
    process.env.PATH = `${process.env.PATH}:${found}`
    return true
  }
  return false
}

/** Debian installs the server under /usr/lib/postgresql/<version>/bin, off every PATH. */
function findPostgres() {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return false
  return readdirSync(root).some((v) => existsSync(join(root, v, 'bin', 'postgres')))
}

function findRsyslog() {
  return existsSync('/usr/sbin/rsyslogd') || has('rsyslogd')
}

/**
 * The OWASP Core Rule Set, whose attack rules the request validator's injection scan reads at
 * start (validators/lib/request/crs/). Debian's package holds only data files.
 */
function findCoreRuleSet() {
  return existsSync('/usr/share/modsecurity-crs/rules/REQUEST-942-APPLICATION-ATTACK-SQLI.conf')
}

/** haproxy is the benchmark's baseline (`bench/haproxy.ts`); Debian puts it in /usr/sbin. */
function findHaproxy() {
  if (has('haproxy')) return true
  const found = SERVER_PATHS.find((p) => existsSync(join(p, 'haproxy')))
  if (found) {
    process.env.PATH = `${process.env.PATH}:${found}`
    return true
  }
  return false
}

/** The console's browser test drives Debian's chromium (tests/e2e/operations.test.ts). */
function findChromium() {
  return existsSync('/usr/bin/chromium') || existsSync('/usr/bin/chromium-browser')
}

/** `optional`: when it cannot be installed, say so and go on without it. */
function ensureDebianPackage(binaryFound, pkg, { optional = false } = {}) {
  if (binaryFound()) return
  const giveUp = () => (optional ? say(`going on without ${pkg}`) : process.exit(1))
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const sudo = !isRoot && has('sudo') ? ['sudo', '-n'] : []
  if (!has('apt-get') || (!isRoot && sudo.length === 0)) {
    say(`${pkg} is missing. Install it, then run this again:  sudo apt-get install -y ${pkg}`)
    return giveUp()
  }
  say(`installing Debian's ${pkg}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const apt = (args) =>
    sudo.length
      ? run(sudo[0], [...sudo.slice(1), 'apt-get', ...args], { env })
      : run('apt-get', args, { env })
  if (!apt(['install', '-y', '-qq', pkg])) {
    apt(['update', '-qq'])
    if (!apt(['install', '-y', '-qq', pkg]) || !binaryFound()) {
      say(`could not install ${pkg}. Run:  sudo apt-get update && sudo apt-get install -y ${pkg}`)
      return giveUp()
    }
  }
}

/**
 * The official JSON Schema test suite, which the schema engine's conformance test reads.
 * Debian ships it inside libtest-json-schema-acceptance-perl; only its data is needed, so
 * the package is downloaded and unpacked into .portcullis/ rather than installed with its
 * Perl dependencies. Without it that test says what is missing.
 */
const SUITE_IN_PACKAGE = '/usr/share/perl5/auto/share/dist/Test-JSON-Schema-Acceptance'
const SUITE_PACKAGE = 'libtest-json-schema-acceptance-perl'

function ensureJsonSchemaSuite() {
  const target = join(root, '.portcullis', 'json-schema-test-suite')
  const present = (dir) => existsSync(join(dir, SUITE_IN_PACKAGE, 'tests', 'draft2020-12'))
  if (process.env.JSON_SCHEMA_TEST_SUITE || existsSync(join(SUITE_IN_PACKAGE, 'tests'))) return
  if (present(target)) return
  if (!has('apt-get') || !has('dpkg-deb')) {
    say(`the JSON Schema test suite is missing and there is no apt-get to fetch ${SUITE_PACKAGE}`)
    return
  }
  say(`unpacking the official JSON Schema test suite from Debian's ${SUITE_PACKAGE}`)
  // Unpacked beside its target, so the last step is a rename on one file system.
  mkdirSync(join(root, '.portcullis'), { recursive: true })
  const work = mkdtempSync(join(root, '.portcullis', 'suite-'))
  try {
    const quiet = { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] }
    let fetched = run('apt-get', ['download', '-qq', SUITE_PACKAGE], quiet)
    if (!fetched && typeof process.getuid === 'function' && process.getuid() === 0) {
      run('apt-get', ['update', '-qq'], quiet)
      fetched = run('apt-get', ['download', '-qq', SUITE_PACKAGE], quiet)
    }
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'))
    if (!fetched || !deb) {
      say(`could not download ${SUITE_PACKAGE}; run: apt-get download ${SUITE_PACKAGE}`)
      return
    }
    const unpacked = join(work, 'unpacked')
    if (!run('dpkg-deb', ['-x', join(work, deb), unpacked], quiet) || !present(unpacked)) {
      say(`${deb} did not hold the suite where expected (${SUITE_IN_PACKAGE})`)
      return
    }
    rmSync(target, { recursive: true, force: true })
    renameSync(unpacked, target)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

ensureNpmPackages()
ensureDebianPackage(findNatsServer, 'nats-server')
if (['up', 'test', 'bench'].includes(command))
  ensureDebianPackage(findCoreRuleSet, 'modsecurity-crs')
// The benchmark's baseline: without it the haproxy row is skipped, not the run.
if (command === 'bench') ensureDebianPackage(findHaproxy, 'haproxy', { optional: true })
if (command === 'test') {
  ensureDebianPackage(findPostgres, 'postgresql')
  ensureDebianPackage(findRsyslog, 'rsyslog')
  ensureDebianPackage(findChromium, 'chromium')
  ensureJsonSchemaSuite()
}

const node = process.execPath
const child =
  command === 'test'
    ? spawn(node, [join(root, 'cli', 'run-tests.mjs'), ...rest], { cwd: root, stdio: 'inherit' })
    : spawn(node, [join(root, 'cli', 'portcullis.mjs'), command, ...rest], {
        cwd: root,
        stdio: 'inherit',
      })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
