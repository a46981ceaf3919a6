/**
 * The one topology description: which buses exist, which servers carry them, which streams
 * and consumers they hold, which identities exist, and exactly what each identity may publish
 * and subscribe on each bus. Server configs, stream provisioning, component connections and
 * the permission tests are all generated from this; nothing is written by hand per deployment.
 */
import type { BusName } from '../../core/index.js'
import { clusterPortsOf, ConfigError } from '../../config/index.js'
import { grantsOn, type GrantSources } from './grants.js'
import { modeSpecOf } from './modes.js'
import { ADMIN, AUDIT_SINK } from './names.js'
import { layoutOf } from './request-paths.js'
import { streamsOf } from './streams.js'
import { assertTrustRootUngranted } from './trust-root-check.js'
import type { BusSpec, Identity, LinkListener, Topology, TopologyConfig } from './types.js'

export function describeTopology(config: TopologyConfig): Topology {
  const hosts = Object.keys(config.upstreams).sort()
  const peers = config.edge.peers ?? []
  if (peers.includes(config.edge.id)) {
    throw new ConfigError('edge.peers', `edge ${config.edge.id} is this deployment's own edge id`)
  }
  // Each edge deployment is its own identity, pinned to its own request subject and inbox.
  const edges = [config.edge.id, ...peers]
  const mode = config.topology
  const spec = modeSpecOf(mode)
  const nodes = config.bus.nodes ?? 1
  const layout = layoutOf(mode, edges, hosts)
  const identities: Identity[] = [
    ...layout.identities,
    { id: AUDIT_SINK, kind: 'audit-sink' },
    { id: ADMIN, kind: 'admin' },
  ]
  const streams = streamsOf(spec.buses, layout.consumers, nodes)
  const sources: GrantSources = { mode, edges, hosts, layout, streams }
  const buses = busSpecsOf(config, spec.buses, spec.sharedServer, (bus) => grantsOn(bus, sources))
  assertTrustRootUngranted(buses)
  const link = linkListenerOf(config)
  return { mode, host: config.bus.host, ...(link && { link }), nodes, buses, streams, identities }
}

/**
 * Each bus with its server and ports. Node 1 of every server listens on `bus.ports`; nodes 2
 * and 3 and the routes on the ports `clusterPortsOf` gives. A shared server (single-nats)
 * carries every bus as an account, on the ports of the bus it names.
 */
function busSpecsOf(
  config: TopologyConfig,
  buses: readonly BusName[],
  shared: { name: string; portsOf: BusName } | undefined,
  grantsOf: (bus: BusName) => BusSpec['grants'],
): BusSpec[] {
  const ports = config.bus.ports
  const cluster = (config.bus.nodes ?? 1) === 3 ? clusterPortsOf(config.bus) : undefined
  const nodePorts = (key: keyof typeof ports): number[] =>
    cluster ? cluster.nodePorts[key] : [ports[key]]
  return buses.map((bus) => {
    const key = shared?.portsOf ?? bus
    const clientPorts = nodePorts(key)
    const spec: BusSpec = {
      name: bus,
      server: shared?.name ?? bus,
      port: clientPorts[0]!,
      ports: clientPorts,
      jetstream: true,
      grants: grantsOf(bus),
    }
    if (cluster) spec.routePorts = cluster.routePorts[key]
    if (bus === 'link') {
      spec.websocketPorts = nodePorts('linkWebsocket')
      spec.websocketPort = spec.websocketPorts[0]!
    }
    return spec
  })
}

/**
 * The link listener the config asks for. In PROD the link carries every request and answer
 * between the internet's edge and the on-prem buses: without `link.tls` it is refused, unless
 * `link.allowPlaintext` says so.
 */
function linkListenerOf(config: TopologyConfig): LinkListener | undefined {
  const { tls, publicHost, allowPlaintext } = config.link ?? {}
  if (config.deployment === 'PROD' && !tls && !allowPlaintext) {
    throw new ConfigError(
      'link.tls',
      'PROD needs TLS on the link (link.tls: certFile, keyFile), or link.allowPlaintext: true',
    )
  }
  if (!tls && publicHost === undefined) return undefined
  return {
    publicHost: publicHost ?? config.bus.host,
    ...(tls && { tls: { certFile: tls.certFile, keyFile: tls.keyFile } }),
  }
}
