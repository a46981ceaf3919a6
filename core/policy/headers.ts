/**
 * Header rules every stage applies: which headers describe one hop only, which are the
 * gateway's own, which tell a client what runs behind the gateway. Each stage strips them
 * again on its own; this module is the one list they share. Names are lowercase.
 */
import type { HeaderList } from '../envelope/index.js'

/** Connection-level headers (RFC 9110 section 7.6.1): never carried past a hop. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  // RFC 9113 section 3.2.1 (the h2c upgrade's settings): hop-by-hop by definition.
  'http2-settings',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** `proxy-*` headers (proxy-authorization, proxy-connection, ...) belong to a proxy hop. */
const HOP_BY_HOP_PREFIX = 'proxy-'

/** The gateway's own headers: a client can neither send nor receive them. */
export const INTERNAL_HEADER_PREFIX = 'portcullis-'

/** Response headers that tell a client what runs behind the gateway. */
export const BANNER_HEADERS: ReadonlySet<string> = new Set([
  'server',
  'x-powered-by',
  'x-aspnet-version',
  'x-aspnetmvc-version',
])

export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith(HOP_BY_HOP_PREFIX)
}

export function isInternalHeader(name: string): boolean {
  return name.startsWith(INTERNAL_HEADER_PREFIX)
}

/** Header names that a `Connection` header declares hop-by-hop for this one message. */
export function connectionNamed(list: HeaderList): Set<string> {
  const named = new Set<string>()
  for (const [name, value] of list) {
    if (name !== 'connection') continue
    for (const n of value.split(',')) named.add(n.trim().toLowerCase())
  }
  return named
}

/** Drops hop-by-hop headers, those the `Connection` header names, and internal headers. */
export function withoutHopAndInternal(list: HeaderList): HeaderList {
  const named = connectionNamed(list)
  return list.filter(([name]) => !isHopByHop(name) && !named.has(name) && !isInternalHeader(name))
}
