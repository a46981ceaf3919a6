/**
 * What each identity may publish and subscribe on one bus: the layout's publish rights, fetch
 * and ack on its own consumers, its audit subject on its one audit bus, its inbox; the sink
 * reads every audit stream; `admin` has the JetStream API and nothing else.
 */
import { edgeIdentity, subjects, type BusName } from '../../core/index.js'
import type { TopologyMode } from '../../config/index.js'
import { idempotencyGrants } from './idempotency.js'
import { ADMIN, AUDIT_SINK, backendIdentity, consumerRights, inboxPrefixOf } from './names.js'
import type { Layout } from './request-paths.js'
import type { Grant, StreamSpec } from './types.js'

export interface GrantSources {
  mode: TopologyMode
  edges: string[]
  hosts: string[]
  layout: Layout
  streams: StreamSpec[]
}

const inbox = (identity: string) => [`${inboxPrefixOf(identity)}.>`]

function consumerGrant(streams: StreamSpec[], bus: BusName, identity: string): string[] {
  return streams
    .filter((s) => s.bus === bus)
    .flatMap((s) =>
      s.consumers
        .filter((c) => c.identity === identity)
        .flatMap((c) => consumerRights(s.name, c.name)),
    )
}

export function grantsOn(bus: BusName, from: GrantSources): Grant[] {
  const grants = new Map<string, Grant>()
  const grantOf = (identity: string): Grant => {
    let g = grants.get(identity)
    if (!g) grants.set(identity, (g = { identity, publish: [], subscribe: inbox(identity) }))
    return g
  }
  if (bus === 'link') {
    // Core NATS on the link: the edge's requests and the relay's answers.
    for (const edgeId of from.edges) {
      grants.set(edgeIdentity(edgeId), {
        identity: edgeIdentity(edgeId),
        publish: [subjects.linkRequest(edgeId)],
        subscribe: [`${subjects.linkInbox(edgeId)}.>`],
        websocketOnly: true,
      })
    }
    grants.set('relay', {
      identity: 'relay',
      publish: [subjects.linkInboxAll],
      subscribe: [subjects.linkRequestAll],
    })
  }
  for (const [identity, publish] of from.layout.publishes[bus] ?? []) {
    grantOf(identity).publish.push(...publish)
  }
  // Each backend connector's own host's replay records (description/idempotency.ts).
  for (const [identity, publish] of idempotencyGrants(
    from.mode,
    bus,
    from.hosts,
    backendIdentity,
  )) {
    grantOf(identity).publish.push(...publish)
  }
  for (const stream of from.streams.filter((s) => s.bus === bus && s.kind === 'data')) {
    for (const c of stream.consumers)
      grantOf(c.identity).publish.push(...consumerRights(stream.name, c.name))
  }
  for (const [identity, auditBus] of from.layout.auditBus) {
    if (auditBus === bus) grantOf(identity).publish.push(subjects.audit(identity))
  }
  // The sink reads every bus's audit stream and writes nothing onto any bus.
  grantOf(AUDIT_SINK).publish.push(...consumerGrant(from.streams, bus, AUDIT_SINK))
  grants.set(ADMIN, { identity: ADMIN, publish: ['$JS.API.>'], subscribe: inbox(ADMIN) })
  return [...grants.values()]
}
