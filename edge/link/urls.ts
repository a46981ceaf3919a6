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
