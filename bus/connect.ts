/**
 * How an on-prem component connects to one bus: as its own identity with the credentials
 * issued for that bus (a user JWT and its seed), with its inbox under the prefix its grant
 * allows, and reconnecting for as long as it runs.
 */
import { credsAuthenticator, type NatsConnection } from '@nats-io/nats-core'
import { SetupError, type BusName } from '../core/index.js'
import { inboxPrefixOf, readCreds, serverUrls, type Topology } from '../topology/index.js'
import { connectCoalescing } from './transport.js'

const PING_INTERVAL_MS = 30_000
const RECONNECT_WAIT_MS = 250

export interface ConnectAsOptions {
  topology: Topology
  keysDir: string
  identity: string
  bus: BusName
  /** Connection name shown by the server; defaults to `<identity>@<bus>`. */
  name?: string
}

export async function connectAs(opts: ConnectAsOptions): Promise<NatsConnection> {
  const { topology, identity, bus } = opts
  const spec = topology.buses.find((b) => b.name === bus)
  if (!spec?.grants.some((g) => g.identity === identity)) {
    // Fail here with a clear line instead of retrying an authorization error forever.
    throw new SetupError('TOPOLOGY_INVALID', `identity ${identity} has no grant on the ${bus} bus`)
  }
  // Read once now, so a missing or unreadable file fails here naming its path; and again on
  // every (re)connect, so credentials renewed or rotated on disk are used without a restart.
  readCreds(opts.keysDir, identity, bus)
  return connectCoalescing({
    // Every node of the bus (one, or three): the client fails over to a live one by itself.
    servers: serverUrls(topology, bus),
    name: opts.name ?? `${identity}@${bus}`,
    // One read per attempt, so the JWT and the seed always come from the same file.
    authenticator: (nonce) => credsAuthenticator(readCreds(opts.keysDir, identity, bus))(nonce),
    inboxPrefix: inboxPrefixOf(identity),
    pingInterval: PING_INTERVAL_MS,
    maxReconnectAttempts: -1,
    reconnectTimeWait: RECONNECT_WAIT_MS,
    waitOnFirstConnect: true,
    // Async stack traces on every request error cost ~11% CPU on the hot path.
    noAsyncTraces: true,
  })
}
