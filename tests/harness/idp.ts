/**
 * A local stand-in for an external identity provider: its JWKS over HTTP on 127.0.0.1 and
 * tokens signed with its current key. It can rotate keys, count JWKS fetches, and go down
 * (its listener closed, so connections are refused) and come back on the same port.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'

interface SigningKey {
  kid: string
  privateKey: CryptoKey
  jwk: JWK
}

export interface TestIdp {
  issuer: string
  jwksUrl: string
  /** JWKS requests served so far. */
  fetches: number
  /** Signs `claims` (plus iss, iat, exp) with the current key, or the key named `kid`. */
  token(
    claims: Record<string, unknown>,
    options?: { kid?: string; ttlSeconds?: number },
  ): Promise<string>
  /** A new current key, published beside the old ones. */
  rotate(): Promise<string>
  /** Keys not published: tokens signed with them are for an unknown kid. */
  unpublishedKey(): Promise<string>
  down(): Promise<void>
  up(): Promise<void>
  stop(): Promise<void>
}

async function newKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  return {
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  }
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

function close(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

export async function startTestIdp(): Promise<TestIdp> {
  const published: SigningKey[] = [await newKey('idp-1')]
  const hidden = new Map<string, SigningKey>()
  let current = published[0]!
  let counter = 1
  const handler = (
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
  ) => {
    if (req.url !== '/jwks') return void res.writeHead(404).end()
    idp.fetches++
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ keys: published.map((k) => k.jwk) }))
  }
  let server = createServer(handler)
  const port = await listen(server)
  const base = `http://127.0.0.1:${port}`
  const idp: TestIdp = {
    issuer: `${base}/realm`,
    jwksUrl: `${base}/jwks`,
    fetches: 0,
    async token(claims, options = {}) {
      const key =
        options.kid === undefined
          ? current
          : (published.find((k) => k.kid === options.kid) ?? hidden.get(options.kid))
      if (!key) throw new Error(`no key ${options.kid}`)
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({
        iss: idp.issuer,
        iat: now,
        exp: now + (options.ttlSeconds ?? 300),
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
        .sign(key.privateKey)
    },
    async rotate() {
      current = await newKey(`idp-${++counter}`)
      published.push(current)
      return current.kid
    },
    async unpublishedKey() {
      const key = await newKey(`hidden-${++counter}`)
      hidden.set(key.kid, key)
      return key.kid
    },
    async down() {
      await close(server)
    },
    async up() {
      server = createServer(handler)
      await listen(server, port)
    },
    async stop() {
      if (server.listening) await close(server)
    },
  }
  return idp
}
