/**
 * The streams of a topology: every bus keeps an audit stream (the link too: the edge's
 * refusals ride on it); the other buses each keep the request path's data stream, named after
 * the bus in upper case (`dreq` keeps `DREQ`).
 */
import { subjects, type BusName } from '../../core/index.js'
import { AUDIT_SINK, AUDIT_STREAM } from './names.js'
import type { ConsumerSpec, StreamSpec } from './types.js'

export const DATA_STREAMS = {
  dreq: { name: 'DREQ', subjects: [subjects.dirtyRequestAll] },
  creq: { name: 'CREQ', subjects: [subjects.cleanRequestAll] },
  dresp: { name: 'DRESP', subjects: [subjects.dirtyResponseAll] },
  cresp: { name: 'CRESP', subjects: [subjects.cleanResponseAll] },
} as const

export function streamsOf(
  buses: readonly BusName[],
  consumers: Partial<Record<BusName, ConsumerSpec[]>>,
  replicas: 1 | 3,
): StreamSpec[] {
  return buses.flatMap((bus): StreamSpec[] => {
    const audit: StreamSpec = {
      bus,
      name: AUDIT_STREAM,
      kind: 'audit',
      replicas,
      subjects: [subjects.auditAll],
      consumers: [{ name: AUDIT_SINK, filter: subjects.auditAll, identity: AUDIT_SINK }],
    }
    if (bus === 'link') return [audit]
    const data = DATA_STREAMS[bus]
    return [
      {
        bus,
        name: data.name,
        kind: 'data',
        replicas,
        subjects: [...data.subjects],
        consumers: consumers[bus] ?? [],
      },
      audit,
    ]
  })
}
