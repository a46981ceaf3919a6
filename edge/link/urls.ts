/**
 * `LINK_URL`: the websocket URL of every node of the link, `ws://host:port` or
 * `wss://host:port`, separated by commas (one URL for a single link server). A pool object's
 * connection knows them all: when its node goes away it reconnects to another.
 */
import { MAX_LINK_URLS } from './constants.js'

const WS_URL = /^wss?:\/\/[^\s/?#,]+\/?$/

/** The URLs of `value`, or undefined when it is not a list of one to `MAX_LINK_URLS` of them. */
export function linkUrlsOf(value: unknown): string[] | undefined {
  if (typeof value !== 'string') return undefined
  const urls = value.split(',').map((u) => u.trim())
  if (urls.length > MAX_LINK_URLS || !urls.every((u) => WS_URL.test(u))) return undefined
  return urls
}

/** `host:port` of a link URL, as nats.js names the server a connection is on. */
export function hostPortOf(url: string): string {
  const u = new URL(url)
  return `${u.hostname}:${u.port || (u.protocol === 'wss:' ? '443' : '80')}`
}

/**
 * The order a new connection tries the nodes in: shuffled, so the pool's objects spread over
 * them, with the nodes this object recently saw hang or vanish last (until `suspects` says
 * otherwise), so a node that accepts sockets but never answers does not cost a fresh
 * connection its whole connect timeout first.
 */
export function serverOrder(
  urls: readonly string[],
  suspects: ReadonlyMap<string, number>,
  now: number,
  random: () => number = Math.random,
): string[] {
  const shuffled = urls
    .map((url) => ({ url, key: random() }))
    .sort((a, b) => a.key - b.key)
    .map((e) => e.url)
  const suspect = (url: string) => (suspects.get(hostPortOf(url)) ?? 0) > now
  return [...shuffled.filter((u) => !suspect(u)), ...shuffled.filter(suspect)]
}
