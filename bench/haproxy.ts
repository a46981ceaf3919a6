/**
 * The baseline a user might pick instead: Debian's haproxy in front of the demo upstream,
 * verifying an RS256 JWT on every request (`jwt_verify`). Skipped when haproxy is absent.
 */
import { spawn, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from 'node:net'
import { exportSPKI, generateKeyPair, SignJWT } from 'jose'
import { SetupError } from '../core/index.js'

export interface HaproxyBaseline {
  url: string
  authorization: string
  pid: number
  stop(): Promise<void>
}

export function haproxyAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v haproxy'], { stdio: 'ignore' }).status === 0
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port })
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })
}

export async function startHaproxy(
  dir: string,
  port: number,
  upstreamPort: number,
): Promise<HaproxyBaseline> {
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  const pem = join(dir, 'haproxy-jwt.pem')
  writeFileSync(pem, await exportSPKI(publicKey))
  const token = await new SignJWT({ sub: 'bench' })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer('bench')
    .setExpirationTime('1h')
    .sign(privateKey)
  const cfg = join(dir, 'haproxy.cfg')
  writeFileSync(
    cfg,
    [
      'global',
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  timeout connect 5s',
      '  timeout client 30s',
      '  timeout server 30s',
      'frontend ingress',
      `  bind 127.0.0.1:${port}`,
      '  http-request set-var(txn.bearer) http_auth_bearer',
      `  http-request deny deny_status 401 unless { var(txn.bearer),jwt_verify("RS256","${pem}") -m int 1 }`,
      '  default_backend upstream',
      'backend upstream',
      '  http-reuse always',
      `  server demo 127.0.0.1:${upstreamPort}`,
      '',
    ].join('\n'),
  )
  const check = spawnSync('haproxy', ['-c', '-f', cfg], { encoding: 'utf8' })
  if (check.status !== 0)
    throw new SetupError(
      'DEPENDENCY_MISSING',
      `haproxy refused its config: ${check.stderr || check.stdout}`,
      { action: 'install an haproxy with jwt_verify (2.5 or later), or bench with --only' },
    )
  const child = spawn('haproxy', ['-db', '-f', cfg], { stdio: 'ignore' })
  for (let i = 0; i < 100 && !(await listening(port)); i++)
    await new Promise((r) => setTimeout(r, 50))
  return {
    url: `http://127.0.0.1:${port}`,
    authorization: `Bearer ${token}`,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
