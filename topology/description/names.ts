/**
 * The names every part of the topology agrees on: the fixed identities, the audit stream,
 * inboxes, a backend connector's identity, a consumer's fetch/ack subjects, a cluster's name.
 */
import { edgeIdentity } from '../../core/index.js'

export const ADMIN = 'admin'
export const AUDIT_SINK = 'audit-sink'
export const AUDIT_STREAM = 'AUDIT'

/** Inbox prefix of an identity: replies to its requests (JetStream acks, fetches) land here. */
export function inboxPrefixOf(identity: string): string {
  return `_i.${identity}`
}

export function backendIdentity(host: string): string {
  return `backend-${host}`
}

export { edgeIdentity }

/** The JetStream API subjects an identity needs to fetch from and ack its own consumer. */
export function consumerRights(stream: string, consumer: string): string[] {
  return [
    `$JS.API.CONSUMER.INFO.${stream}.${consumer}`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
    `$JS.ACK.${stream}.${consumer}.>`,
  ]
}

/** The cluster name of a clustered server (`cluster.name`, also JetStream's). */
export function clusterNameOf(server: string): string {
  return `portcullis-${server}`
}
