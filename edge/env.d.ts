// Bindings that wrangler.toml does not declare (so `wrangler types` cannot see them): the
// CLI's generated config supplies them for local runs, a deployment sets them as vars and
// secrets. Merged into the generated Env in worker-configuration.d.ts. The rate-limit
// bindings `RATE_LIMIT_<limit>_PER_<period>` follow the policy's routes, so `worker.ts` looks
// them up by name and `settings.ts` checks that each one the policy needs is bound; the ones
// wrangler.toml declares appear in the generated Env.
declare namespace Cloudflare {
  interface Env {
    /**
     * The EdgePolicy object (core/policy/edge-policy.ts), as a JSON var under `wrangler dev`;
     * a deployment bundles it into the worker instead (`portcullis deploy`).
     */
    POLICY?: unknown
    /** ws://host:port of the link server's websocket listener. */
    LINK_URL: string
    /** Secret: the creds file text (user JWT and nkey seed) of the edge's link identity. */
    LINK_CREDS: string
    /** Service binding to the access-token worker's `AccessTokenService`. */
    ACCESS_TOKENS: Fetcher
    /** Service binding to the bearer-token worker's `BearerTokenService`. */
    BEARER_TOKENS: Fetcher
    /**
     * `cloudflare` on Cloudflare (its `CF-Connecting-IP` keys anonymous rate limits), `local`
     * (the default) under `wrangler dev`, where a client can send that header itself.
     */
    CLIENT_ADDRESS?: string
    /** The collector's OTLP/HTTP traces URL (`.../v1/traces`): the edge posts its spans there. */
    OTLP_TRACES_URL?: string
  }
}
