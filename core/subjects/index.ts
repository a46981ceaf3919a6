/**
 * The subject layout of every bus. Subjects carry the identities the brokers certify:
 * the edge id on the link, the upstream host on the clean buses, the publishing stage on
 * the last bus. Receivers take these from the subject, never from a header.
 */

/** Names that appear as one subject token: lowercase, digits, dashes. */
export const TOKEN_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62})$/

export function isSubjectToken(value: string): boolean {
  return TOKEN_PATTERN.test(value)
}

function token(kind: string, value: string): string {
  if (!isSubjectToken(value)) throw new TypeError(`invalid ${kind} for a subject token`)
  return value
}

const ROOT = 'pc'

/** The five buses of the isolated topology. */
export const BUSES = ['link', 'dreq', 'creq', 'dresp', 'cresp'] as const
export type BusName = (typeof BUSES)[number]

/** Stages that publish onto the clean-response bus (NATS-4). */
export type ResponseStage = 'response-validator' | 'request-validator'

export const subjects = {
  /** Link: an edge publishes its requests here (only its own id). */
  linkRequest: (edgeId: string) => `${ROOT}.link.req.${token('edge id', edgeId)}`,
  linkRequestAll: `${ROOT}.link.req.*`,
  /** Link: the inbox prefix of an edge; replies arrive below it. */
  linkInbox: (edgeId: string) => `${ROOT}.link.inbox.${token('edge id', edgeId)}`,
  linkInboxAll: `${ROOT}.link.inbox.>`,

  /** NATS-1, dirty requests: published by the relay, keyed by the certified edge id. */
  dirtyRequest: (edgeId: string, host: string) =>
    `${ROOT}.dreq.${token('edge id', edgeId)}.${token('host', host)}`,
  dirtyRequestAll: `${ROOT}.dreq.>`,

  /** NATS-2, clean requests: one subject per upstream host. */
  cleanRequest: (host: string) => `${ROOT}.creq.${token('host', host)}`,
  cleanRequestAll: `${ROOT}.creq.>`,

  /** NATS-3, dirty responses: one subject per upstream host. */
  dirtyResponse: (host: string) => `${ROOT}.dresp.${token('host', host)}`,
  dirtyResponseAll: `${ROOT}.dresp.>`,

  /** NATS-4, clean responses: the publishing stage is a subject token the broker pins. */
  cleanResponse: (stage: ResponseStage, host: string) =>
    `${ROOT}.cresp.${stage}.${token('host', host)}`,
  cleanResponseAll: `${ROOT}.cresp.>`,
  /** Everything one stage may publish on NATS-4. */
  cleanResponseOf: (stage: ResponseStage) => `${ROOT}.cresp.${stage}.*`,
} as const

/** Parses `pc.link.req.<edge>`; undefined when the subject is not a link request. */
export function edgeIdOfLinkRequest(subject: string): string | undefined {
  const parts = subject.split('.')
  if (parts.length !== 4 || parts[0] !== ROOT || parts[1] !== 'link' || parts[2] !== 'req') {
    return undefined
  }
  return isSubjectToken(parts[3]!) ? parts[3] : undefined
}

/** True when `reply` is an inbox of `edgeId` (so a reply can only reach the edge that asked). */
export function isInboxOf(reply: string, edgeId: string): boolean {
  const prefix = `${subjects.linkInbox(edgeId)}.`
  return reply.startsWith(prefix) && /^[A-Za-z0-9.]+$/.test(reply.slice(prefix.length))
}

/** Parses `pc.cresp.<stage>.<host>`. */
export function parseCleanResponse(
  subject: string,
): { stage: ResponseStage; host: string } | undefined {
  const parts = subject.split('.')
  if (parts.length !== 4 || parts[0] !== ROOT || parts[1] !== 'cresp') return undefined
  const stage = parts[2]
  if (stage !== 'response-validator' && stage !== 'request-validator') return undefined
  return isSubjectToken(parts[3]!) ? { stage, host: parts[3]! } : undefined
}
