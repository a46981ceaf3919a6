// Bindings that wrangler.toml does not declare (so `wrangler types` cannot see them), merged
// into the Env that `npm run types` generates in worker-configuration.d.ts: the CLI's generated
// config supplies them for local runs, a deployment sets them as vars and secrets. The
// rate-limit bindings `RATE_LIMIT_<limit>_PER_<period>` follow the policy's routes, so
// `settings.ts` looks them up by name and checks that each one the policy needs is bound; the
// ones wrangler.toml declares also appear in the generated Env.
declare namespace Cloudflare {
  interface Env {
    /**
     * The EdgePolicy (core/policy/edge-policy.ts): a JSON var (an object) under `wrangler dev`,
     * or its JSON text. Absent from a deployment, which bundles the policy into the worker
     * instead (`portcullis deploy`); `settings.ts` refuses the two together.
     */
    POLICY?: string | Record<string, unknown>
    /** `ws[s]://host:port` of every link node's websocket listener, comma-separated. */
    LINK_URL: string
    /** Secret: the creds file text (user JWT and nkey seed) of the edge's link identity. */
    LINK_CREDS: string
    /**
     * `cloudflare` on Cloudflare (its `CF-Connecting-IP` keys anonymous rate limits), `local`
     * (the default) under `wrangler dev`, where a client can send that header itself.
     */
    CLIENT_ADDRESS?: string
    /** The collector's OTLP/HTTP traces URL (`.../v1/traces`): the edge posts its spans there. */
    OTLP_TRACES_URL?: string
    /** The rate-limit bindings (`[[ratelimits]]`) of the policy's routes and token endpoint. */
    [binding: `RATE_LIMIT_${number}_PER_${number}`]: RateLimit | undefined
  }
}
