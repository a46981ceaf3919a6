/**
 * The client address bucket an anonymous request is counted in. Pure.
 *
 * Where the edge runs decides what can be believed (`ClientAddressSource`):
 * - `cloudflare`: deployed on Cloudflare, which sets `CF-Connecting-IP` itself and replaces
 *   any value a client sent. With Pseudo IPv4 set to "overwrite headers" that header holds a
 *   Class E address hashed from the client's whole IPv6 address, and the real address is in
 *   `CF-Connecting-IPv6` (set by Cloudflare in that mode only), which is read then.
 * - `local`: workerd under `wrangler dev` (miniflare). Its entry worker fills in
 *   `CF-Connecting-IP` only when the client did not send one, and takes `request.cf` from a
 *   header the client can send too: nothing the worker sees names the client, so every
 *   request shares the one bucket `local`.
 *
 * An address is keyed canonically: an IPv4 address as itself, an IPv6 address by its /64
 * (one subscriber gets a whole /64, and its 2^64 addresses must not be 2^64 budgets), an
 * IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as its IPv4 address. Compressed and expanded
 * spellings, upper case and a zone id (`%eth0`) land in the same bucket. A value that is not
 * an address is never used raw: it shares the one bucket `unknown`. `X-Forwarded-For`,
 * `X-Real-IP`, `True-Client-IP` and `Forwarded` are never read: a client writes them.
 */

export const CLIENT_ADDRESS_SOURCES = ['cloudflare', 'local'] as const
export type ClientAddressSource = (typeof CLIENT_ADDRESS_SOURCES)[number]

/** The bucket of every request whose address cannot be told. */
export const UNKNOWN_ADDRESS = 'unknown'
/** The bucket of every anonymous request under `wrangler dev`. */
export const LOCAL_ADDRESS = 'local'

/** Longer than any spelling of an address with a sensible zone id. */
const MAX_ADDRESS_LENGTH = 100

/** Plain character tests: this runs on every anonymous request, on text the client may write. */
function isDigits(text: string, max: number): boolean {
  if (text.length === 0 || text.length > max) return false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

function isHextet(text: string): boolean {
  if (text.length === 0 || text.length > 4) return false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const digit = c >= 48 && c <= 57
    const letter = (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
    if (!digit && !letter) return false
  }
  return true
}

/** Dotted-quad decimal only, no leading zeros (`010.0.0.1` is octal to some parsers). */
function ipv4Octets(text: string): number[] | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  const octets: number[] = []
  for (const part of parts) {
    if (!isDigits(part, 3) || (part.length > 1 && part.startsWith('0'))) return undefined
    const n = Number(part)
    if (n > 255) return undefined
    octets.push(n)
  }
  return octets
}

/** The groups of one side of `::` (or of a whole address), or undefined. */
function groupsOf(part: string): number[] | undefined {
  if (part === '') return []
  const groups: number[] = []
  const pieces = part.split(':')
  const last = pieces.length - 1
  for (let i = 0; i <= last; i++) {
    const piece = pieces[i]!
    if (i === last && piece.includes('.')) {
      const v4 = ipv4Octets(piece)
      if (!v4) return undefined
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
    } else if (isHextet(piece)) {
      groups.push(parseInt(piece, 16))
    } else {
      return undefined
    }
  }
  return groups
}

/** The eight 16-bit groups of an IPv6 address (zone id already removed), or undefined. */
function ipv6Groups(text: string): number[] | undefined {
  const cut = text.indexOf('::')
  if (cut === -1) {
    const all = groupsOf(text)
    return all?.length === 8 ? all : undefined
  }
  const before = text.slice(0, cut)
  const after = text.slice(cut + 2)
  // One `::` only, and an embedded IPv4 address may only end the address.
  if (after.includes('::') || before.includes('.')) return undefined
  const head = groupsOf(before)
  const tail = groupsOf(after)
  if (!head || !tail) return undefined
  const missing = 8 - head.length - tail.length
  if (missing < 1) return undefined
  for (let i = 0; i < missing; i++) head.push(0)
  for (const g of tail) head.push(g)
  return head
}

/**
 * The canonical key of one address: `ip4:<a.b.c.d>` or `ip6:<first four groups>::/64`;
 * undefined when the text is not an address.
 */
export function addressKey(raw: string): string | undefined {
  let text = raw.trim()
  if (text.length === 0 || text.length > MAX_ADDRESS_LENGTH) return undefined
  const v4 = ipv4Octets(text)
  if (v4) return `ip4:${v4.join('.')}`
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1)
  const zone = text.indexOf('%')
  if (zone !== -1) text = text.slice(0, zone)
  const groups = ipv6Groups(text)
  if (!groups) return undefined
  // ::ffff:a.b.c.d, however spelled, is an IPv4 client.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6]!, groups[7]!]
    return `ip4:${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
  }
  return `ip6:${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`
}

/** Class E (240.0.0.0/4): Cloudflare's Pseudo IPv4 addresses. */
function isPseudoIpv4(key: string): boolean {
  const first = Number(key.slice('ip4:'.length).split('.')[0])
  return first >= 240
}

/** The bucket an anonymous request is counted in, from what `source` lets the edge believe. */
export function clientAddressBucket(headers: Headers, source: ClientAddressSource): string {
  if (source !== 'cloudflare') return LOCAL_ADDRESS
  const raw = headers.get('cf-connecting-ip')
  const key = raw === null ? undefined : addressKey(raw)
  if (key === undefined) return UNKNOWN_ADDRESS
  if (key.startsWith('ip4:') && isPseudoIpv4(key)) {
    const v6 = headers.get('cf-connecting-ipv6')
    const real = v6 === null ? undefined : addressKey(v6)
    if (real?.startsWith('ip6:')) return real
  }
  return key
}
