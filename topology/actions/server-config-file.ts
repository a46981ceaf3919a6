/** Each nats-server's generated config and JetStream store, under the data folder. */
import { join } from 'node:path'
import type { Config } from '../../config/index.js'
import { renderServerConfig } from '../description/server-config.js'
import { serverTrust, type BusTrust } from '../description/trust.js'
import type { NatsServerSpec, Topology } from '../description/types.js'
import { writePrivateFile } from './private-files.js'
import { readRouteSecret } from './route-secrets.js'

/** Where a server's generated config and its JetStream store live under the data folder. */
export function serverPaths(
  dataDir: string,
  server: string,
): { confPath: string; storeDir: string } {
  return {
    confPath: join(dataDir, 'nats', `${server}.conf`),
    storeDir: join(dataDir, 'nats', server),
  }
}

/**
 * Renders and writes one server's config (0600: a clustered node's holds its route secret);
 * returns its paths.
 */
export function writeServerConfig(
  config: Pick<Config, 'bus' | 'paths'>,
  topology: Topology,
  server: NatsServerSpec,
  trust: BusTrust,
): { confPath: string; storeDir: string } {
  const paths = serverPaths(config.paths.data, server.name)
  const text = renderServerConfig(topology, server, serverTrust(trust, server.buses), {
    storeDir: paths.storeDir,
    maxPayloadBytes: config.bus.maxPayloadBytes,
    streamMaxBytes: config.bus.streamMaxBytes,
    ...(server.cluster && { routeSecret: readRouteSecret(config.paths.keys, server.group) }),
  })
  writePrivateFile(paths.confPath, text)
  return paths
}
