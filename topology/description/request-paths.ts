/**
 * Who publishes and who reads on each bus, as data: one table per kind of validation (the
 * design's table, docs/topology.md). `layoutOf` expands a table for the configured edges and
 * upstream hosts; `backend` stands for one `backend-<host>` per host.
 */
import { edgeIdentity, subjects, type BusName } from '../../core/index.js'
import type { TopologyMode } from '../../config/index.js'
import { modeSpecOf, type Validation } from './modes.js'
import { backendIdentity } from './names.js'
import type { ConsumerSpec, Identity } from './types.js'

type Role = 'relay' | 'request-validator' | 'backend' | 'response-validator'
/** A role's subject; a backend connector's names its host. */
type SubjectOf = (host: string) => string
type RoleSubjects = ReadonlyArray<readonly [Role, SubjectOf]>

export interface RequestPath {
  /** The roles in the order of the request path, after the edges. */
  roles: readonly Role[]
  /** The bus the backend connectors read their requests from. */
  backendReads: BusName
  /** Per bus: who fetches from its data stream, with what filter (one durable consumer each). */
  consumers: Partial<Record<BusName, RoleSubjects>>
  /** Per bus: what each role publishes, beyond fetch/ack on its own consumer. */
  publishes: Partial<Record<BusName, RoleSubjects>>
  /** The one bus each role writes its audit events to (an edge's is the link). */
  audit: ReadonlyArray<readonly [Role, BusName]>
}

const fixed =
  (subject: string): SubjectOf =>
  () =>
    subject

export const REQUEST_PATHS: Record<Validation, RequestPath> = {
  validators: {
    roles: ['relay', 'request-validator', 'backend', 'response-validator'],
    backendReads: 'creq',
    consumers: {
      dreq: [['request-validator', fixed(subjects.dirtyRequestAll)]],
      creq: [['backend', subjects.cleanRequest]],
      dresp: [['response-validator', fixed(subjects.dirtyResponseAll)]],
      cresp: [['relay', fixed(subjects.cleanResponseAll)]],
    },
    publishes: {
      dreq: [['relay', fixed(subjects.dirtyRequestAll)]],
      creq: [['request-validator', fixed(subjects.cleanRequestAll)]],
      dresp: [['backend', subjects.dirtyResponse]],
      cresp: [
        ['request-validator', fixed(subjects.cleanResponseOf('request-validator'))],
        ['response-validator', fixed(subjects.cleanResponseOf('response-validator'))],
      ],
    },
    audit: [
      ['relay', 'dreq'],
      ['request-validator', 'dreq'],
      ['backend', 'creq'],
      ['response-validator', 'dresp'],
    ],
  },
  backend: {
    roles: ['relay', 'backend'],
    backendReads: 'dreq',
    consumers: {
      dreq: [['backend', subjects.dirtyRequestForHost]],
      cresp: [['relay', fixed(subjects.cleanResponseAll)]],
    },
    publishes: {
      dreq: [['relay', fixed(subjects.dirtyRequestAll)]],
      cresp: [['backend', (host) => subjects.cleanResponse('backend', host)]],
    },
    audit: [
      ['relay', 'dreq'],
      ['backend', 'dreq'],
    ],
  },
}

export function requestPathOf(mode: TopologyMode): RequestPath {
  return REQUEST_PATHS[modeSpecOf(mode).validation]
}

/** A mode's table, expanded for the configured edges and upstream hosts. */
export interface Layout {
  identities: Identity[]
  /** Data-stream consumers per bus. */
  consumers: Partial<Record<BusName, ConsumerSpec[]>>
  /** Publish rights per bus and identity, beyond fetch/ack on its own consumers. */
  publishes: Partial<Record<BusName, Array<[identity: string, subjects: string[]]>>>
  /** The one bus each identity writes its audit events to. */
  auditBus: Map<string, BusName>
}

/** The identities a role stands for, each with the host its subjects name. */
function playersOf(role: Role, hosts: string[]): Array<{ id: string; host: string }> {
  if (role === 'backend') return hosts.map((host) => ({ id: backendIdentity(host), host }))
  return [{ id: role, host: '' }]
}

function perBus<T>(
  table: Partial<Record<BusName, RoleSubjects>>,
  hosts: string[],
  entry: (id: string, subject: string) => T,
): Partial<Record<BusName, T[]>> {
  const out: Partial<Record<BusName, T[]>> = {}
  for (const [bus, rows] of Object.entries(table) as Array<[BusName, RoleSubjects]>) {
    out[bus] = rows.flatMap(([role, subjectOf]) =>
      playersOf(role, hosts).map((p) => entry(p.id, subjectOf(p.host))),
    )
  }
  return out
}

export function layoutOf(mode: TopologyMode, edges: string[], hosts: string[]): Layout {
  const path = requestPathOf(mode)
  const identities: Identity[] = [
    ...edges.map((edgeId): Identity => ({ id: edgeIdentity(edgeId), kind: 'edge', edgeId })),
    ...path.roles.flatMap((role) =>
      playersOf(role, hosts).map((p): Identity =>
        role === 'backend' ? { id: p.id, kind: role, host: p.host } : { id: p.id, kind: role },
      ),
    ),
  ]
  const auditBus = new Map<string, BusName>(edges.map((e) => [edgeIdentity(e), 'link']))
  for (const [role, bus] of path.audit) {
    for (const p of playersOf(role, hosts)) auditBus.set(p.id, bus)
  }
  return {
    identities,
    consumers: perBus(path.consumers, hosts, (id, filter) => ({ name: id, filter, identity: id })),
    publishes: perBus(path.publishes, hosts, (id, subject): [string, string[]] => [id, [subject]]),
    auditBus,
  }
}
