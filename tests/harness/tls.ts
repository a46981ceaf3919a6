/**
 * Certificates for tests, made by the `openssl` CLI into a folder the test owns (nothing is
 * committed): a CA, and server certificates it signs for loopback names.
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface Authority {
  /** The CA's certificate (PEM): what a client trusts. */
  certFile: string
  keyFile: string
}

export interface ServerCertificate {
  certFile: string
  keyFile: string
}

/** A fresh P-256 key, unencrypted. */
const NEW_KEY = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 })
}

/** A self-signed CA named `name`, valid for a day (P-256 key). */
export function makeAuthority(dir: string, name: string): Authority {
  const certFile = join(dir, `${name}.pem`)
  const keyFile = join(dir, `${name}.key`)
  openssl([
    ...`req -x509 ${NEW_KEY} -days 1 -subj /CN=${name}`.split(' '),
    ...['-addext', 'basicConstraints=critical,CA:TRUE'],
    ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ...['-keyout', keyFile, '-out', certFile],
  ])
  return { certFile, keyFile }
}

/**
 * A server certificate for `names` (DNS names and IP addresses), signed by `ca`, valid for a
 * day; `name` names its files.
 */
export function makeServerCertificate(
  dir: string,
  name: string,
  ca: Authority,
  names: string[] = ['localhost', '127.0.0.1'],
): ServerCertificate {
  const certFile = join(dir, `${name}.pem`)
  const keyFile = join(dir, `${name}.key`)
  const csr = join(dir, `${name}.csr`)
  const ext = join(dir, `${name}.ext`)
  const san = names.map((n) => (/^[0-9.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')
  writeFileSync(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${san}`,
    ].join('\n') + '\n',
  )
  openssl([
    ...`req -new ${NEW_KEY} -subj /CN=${names[0]!}`.split(' '),
    ...['-keyout', keyFile, '-out', csr],
  ])
  openssl([
    ...'x509 -req -days 1 -sha256 -CAcreateserial'.split(' '),
    ...['-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-extfile', ext, '-out', certFile],
  ])
  return { certFile, keyFile }
}
