/**
 * Who an access token is for. The ingress mints one per upstream host, with
 * `aud: "portcullis:<host>"` (the host's name in the config, as in the address
 * `/<host>[:<port>]/...`), and the request validator accepts an actor only for the host of
 * the envelope it rides in: an upstream (or its logs) that replays a user's access token to
 * another host is refused `TOKEN_AUDIENCE_INVALID`.
 */

/** The audience of bearer tokens (and of the token exchange's `audience` parameter). */
export const GATEWAY_AUDIENCE = 'portcullis'

/** Every access token's audience starts with this; the upstream's host name follows. */
export const ACCESS_AUDIENCE_PREFIX = 'portcullis:'

/** The audience of the access tokens minted for requests to `host`. */
export function accessAudienceOf(host: string): string {
  if (typeof host !== 'string' || host === '') {
    throw new TypeError('access audience: the host must be a non-empty name')
  }
  return ACCESS_AUDIENCE_PREFIX + host
}
