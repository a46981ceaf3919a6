/**
 * The cluster block of one node of a three-node bus: the route listener admits only the route
 * user with the cluster's secret (a client's nkey or JWT means nothing there), and the node
 * dials its two peers with the same. `no_advertise`: clients are given every node's URL by the
 * topology, not by gossip, so what a client dials is what the config says.
 */
import { SetupError } from '../../core/index.js'
import { quoted } from './config-value.js'
import type { NatsServerSpec } from './types.js'

/** The user name every route presents; the secret is what proves it. */
export const ROUTE_USER = 'route'

const ROUTE_SECRET = /^[A-Za-z0-9_-]{32,}$/
const ROUTE_URL = /^nats-route:\/\/([A-Za-z0-9.:-]+:\d+)$/

export function renderCluster(
  cluster: NonNullable<NatsServerSpec['cluster']>,
  listen: string,
  secret: string | undefined,
): string[] {
  if (secret === undefined || !ROUTE_SECRET.test(secret)) {
    throw new SetupError(
      'KEY_MISSING',
      `cluster ${cluster.name} needs its route secret (run \`portcullis keys\`)`,
    )
  }
  const routes = cluster.routes.map((url) => {
    const m = ROUTE_URL.exec(url)
    if (!m) throw new SetupError('TOPOLOGY_INVALID', `bad route URL ${JSON.stringify(url)}`)
    return `    ${quoted(`nats-route://${ROUTE_USER}:${secret}@${m[1]!}`)}`
  })
  if (!routes.length)
    throw new SetupError('TOPOLOGY_INVALID', `cluster ${cluster.name} has no peers`)
  return [
    'cluster {',
    `  name: ${quoted(cluster.name)}`,
    `  listen: ${listen}`,
    '  no_advertise: true',
    '  authorization {',
    `    user: ${quoted(ROUTE_USER)}`,
    `    password: ${quoted(secret)}`,
    '    timeout: 2',
    '  }',
    '  routes: [',
    ...routes,
    '  ]',
    '}',
  ]
}
