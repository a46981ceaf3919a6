/**
 * The subject layout of every bus. Subjects carry the identities the brokers certify: the
 * edge id on the link and dreq, the upstream host on creq and dresp, the publishing
 * stage on cresp. Each such segment is pinned by the publisher's grant, so receivers take
 * the caller from the subject (the parsers below), never from a header or envelope field.
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
/**
 * Trust-root traffic (design: port 666) has a top-level segment of its own, so that no grant
 * on the gateway's subjects (`pc.>`), however wide, can reach it.
 */
export const TRUST_ROOT = 'pc-trust'

/** The link identity of one edge deployment: the segment of its audit subject. */
export function edgeIdentity(edgeId: string): string {
  return `edge-${token('edge id', edgeId)}`
}

/** The five buses of the isolated topology. */
export const BUSES = ['link', 'dreq', 'creq', 'dresp', 'cresp'] as const
export type BusName = (typeof BUSES)[number]

/**
 * Stages that publish onto the clean-response bus (cresp): the two validators, or, in the
 * `single-validation` topology, the backend connector that validates.
 */
export const RESPONSE_STAGES = ['response-validator', 'request-validator', 'backend'] as const
export type ResponseStage = (typeof RESPONSE_STAGES)[number]

export const subjects = {
  /** Link: an edge publishes its requests here (only its own id). */
  linkRequest: (edgeId: string) => `${ROOT}.link.req.${token('edge id', edgeId)}`,
  linkRequestAll: `${ROOT}.link.req.*`,
  /** Link: the inbox prefix of an edge; replies arrive below it. */
  linkInbox: (edgeId: string) => `${ROOT}.link.inbox.${token('edge id', edgeId)}`,
  linkInboxAll: `${ROOT}.link.inbox.>`,

  /** dreq, dirty requests: published by the relay, keyed by the certified edge id. */
  dirtyRequest: (edgeId: string, host: string) =>
    `${ROOT}.dreq.${token('edge id', edgeId)}.${token('host', host)}`,
  dirtyRequestAll: `${ROOT}.dreq.>`,
  /** dreq, one host's dirty requests from every edge (the `single-validation` backend's). */
  dirtyRequestForHost: (host: string) => `${ROOT}.dreq.*.${token('host', host)}`,

  /** creq, clean requests: one subject per upstream host. */
  cleanRequest: (host: string) => `${ROOT}.creq.${token('host', host)}`,
  cleanRequestAll: `${ROOT}.creq.>`,

  /** dresp, dirty responses: one subject per upstream host. */
  dirtyResponse: (host: string) => `${ROOT}.dresp.${token('host', host)}`,
  dirtyResponseAll: `${ROOT}.dresp.>`,

  /** cresp, clean responses: the publishing stage is a subject token the broker pins. */
  cleanResponse: (stage: ResponseStage, host: string) =>
    `${ROOT}.cresp.${stage}.${token('host', host)}`,
  cleanResponseAll: `${ROOT}.cresp.>`,
  /** Everything one stage may publish on cresp. */
  cleanResponseOf: (stage: ResponseStage) => `${ROOT}.cresp.${stage}.*`,

  /**
   * Audit events of one identity, on each bus it uses. Only that identity may publish here
   * (its grant names its own segment); the audit sink reads them all, read-only.
   */
  audit: (identity: string) => `${ROOT}.audit.${token('identity', identity)}`,
  auditAll: `${ROOT}.audit.*`,

  /** Trust-root traffic: granted to no component (the topology refuses a grant reaching it). */
  trustRoot: (channel: string) => `${TRUST_ROOT}.${token('channel', channel)}`,
  trustRootAll: `${TRUST_ROOT}.>`,
} as const

/** The tokens of `subject` when it is `pc.<bus>.<n tokens>`, each a subject token. */
function tokensOf(subject: string, bus: string, n: number): string[] | undefined {
  const parts = subject.split('.')
  if (parts.length !== n + 2 || parts[0] !== ROOT || parts[1] !== bus) return undefined
  const rest = parts.slice(2)
  return rest.every(isSubjectToken) ? rest : undefined
}

/** Parses `pc.link.req.<edge>`; undefined when the subject is not a link request. */
export function edgeIdOfLinkRequest(subject: string): string | undefined {
  const t = tokensOf(subject, 'link', 2)
  return t?.[0] === 'req' ? t[1] : undefined
}

/** Parses `pc.dreq.<edge>.<host>`: the edge the relay certified, the host it filed under. */
export function parseDirtyRequest(subject: string): { edgeId: string; host: string } | undefined {
  const t = tokensOf(subject, 'dreq', 2)
  return t && { edgeId: t[0]!, host: t[1]! }
}

/** Parses `pc.creq.<host>`: the host whose backend connector alone may read it. */
export function parseCleanRequest(subject: string): { host: string } | undefined {
  const t = tokensOf(subject, 'creq', 1)
  return t && { host: t[0]! }
}

/** Parses `pc.dresp.<host>`: the host whose backend connector alone may publish it. */
export function parseDirtyResponse(subject: string): { host: string } | undefined {
  const t = tokensOf(subject, 'dresp', 1)
  return t && { host: t[0]! }
}

/** True when `reply` is an inbox of `edgeId` (so a reply can only reach the edge that asked). */
export function isInboxOf(reply: string, edgeId: string): boolean {
  const prefix = `${subjects.linkInbox(edgeId)}.`
  return reply.startsWith(prefix) && /^[A-Za-z0-9.]+$/.test(reply.slice(prefix.length))
}

/** Parses `pc.cresp.<stage>.<host>`: the stage is the publisher the broker certified. */
export function parseCleanResponse(
  subject: string,
): { stage: ResponseStage; host: string } | undefined {
  const t = tokensOf(subject, 'cresp', 2)
  const stage = t?.[0] as ResponseStage | undefined
  if (stage === undefined || !RESPONSE_STAGES.includes(stage)) return undefined
  return { stage, host: t![1]! }
}

/** Parses `pc.audit.<identity>`: the identity the broker certified as the event's publisher. */
export function identityOfAudit(subject: string): string | undefined {
  return tokensOf(subject, 'audit', 1)?.[0]
}

/**
 * True when some subject matches both patterns (`*` one token, `>` one or more trailing
 * tokens), as nats-server reads them. Used to prove that no grant reaches the trust root.
 */
export function patternsOverlap(a: string, b: string): boolean {
  const x = a.split('.')
  const y = b.split('.')
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i]
    const q = y[i]
    if (p === '>' || q === '>') return p !== undefined && q !== undefined
    if (p === undefined || q === undefined) return false
    if (p !== '*' && q !== '*' && p !== q) return false
  }
  return true
}
