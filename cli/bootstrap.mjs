#!/usr/bin/env node
// First step of `npm start`, `npm test` and `npm run bench` on any machine, fresh clone
// included: installs what is missing (npm packages, Debian's nats-server; for `test` also
// Debian's postgresql and rsyslog, which the tests start), then runs the command. Plain
// JavaScript on purpose: it must run before any package is installed.
import { spawnSync, spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
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

function ensureDebianPackage(binaryFound, pkg) {
  if (binaryFound()) return
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const sudo = !isRoot && has('sudo') ? ['sudo', '-n'] : []
  if (!has('apt-get') || (!isRoot && sudo.length === 0)) {
    say(`${pkg} is missing. Install it, then run this again:  sudo apt-get install -y ${pkg}`)
    process.exit(1)
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
      process.exit(1)
    }
  }
}

ensureNpmPackages()
ensureDebianPackage(findNatsServer, 'nats-server')
if (command === 'test') {
  ensureDebianPackage(findPostgres, 'postgresql')
  ensureDebianPackage(findRsyslog, 'rsyslog')
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
