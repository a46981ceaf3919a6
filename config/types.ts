import type {
  DeploymentMode,
  IdentityProviderConfig,
  RequestValidationPolicy,
  ResponseValidationPolicy,
} from '../core/index.js'

export const TOPOLOGY_MODES = ['isolated', 'single-nats', 'single-validation'] as const
export type TopologyMode = (typeof TOPOLOGY_MODES)[number]

export interface UpstreamConfig {
  /** Where the backend connector sends this host's requests. */
  baseUrl: string
  /** Path of the OpenAPI 3.x document, relative to the config file. */
  openapi: string
  timeoutMs: number
  maxResponseBytes: number
  /**
   * The upstream itself de-duplicates on the `Idempotency-Key` it is sent and replays its
   * first answer: a keyed request whose outcome the gateway lost is sent again, not 502.
   */
  honoursIdempotencyKey: boolean
}

export interface BusPorts {
  link: number
  linkWebsocket: number
  dreq: number
  creq: number
  dresp: number
  cresp: number
}

/** The audit trail's storage and mirrors (audit/store, audit/mirrors). */
export interface AuditConfig {
  /**
   * PostgreSQL (`postgres://` or `postgresql://`), else embedded PGlite under `paths.data`.
   * `PORTCULLIS_AUDIT_DATABASE_URL` overrides it (`resolveAuditDatabaseUrl` in audit/store).
   */
  databaseUrl?: string
  /** Events the sink writes in one transaction, at most. */
  batchSize: number
  /** How long the sink waits to fill a batch before it writes what it has. */
  batchMaxWaitMs: number
  /** A signed checkpoint of the chain head every this many events or seconds, first reached. */
  checkpoint: { everyEvents: number; everySeconds: number }
  /** RFC 5424 syslog mirror. */
  syslog?: { host: string; port: number; transport: 'udp' | 'tcp'; appName: string }
  /** OTLP/HTTP logs mirror. */
  otlp?: { url: string; timeoutMs: number; headers?: Record<string, string> }
  /** Events a mirror holds while its receiver is slow or away. */
  mirrorQueue: number
}

/** The link's WebSocket listener as the edge reaches it (topology/README.md, TLS on the link). */
export interface LinkConfig {
  /** The host name in the edge's link URLs (`LINK_URL`), which the certificate names; default `bus.host`. */
  publicHost?: string
  /**
   * The listener serves TLS (`wss://`) with this certificate chain and key (PEM; absolute
   * once loaded). `caFile`: the CA the local edge (`wrangler dev`) trusts for it; on
   * Cloudflare the certificate must chain to a public CA instead.
   */
  tls?: { certFile: string; keyFile: string; caFile?: string }
  /** In PROD, run the link without `tls` anyway (`ws://`: the link's traffic readable on the way). */
  allowPlaintext: boolean
}

export interface Config {
  deployment: DeploymentMode
  topology: TopologyMode
  edge: {
    id: string
    /**
     * Further edge deployments that may use the link, each its own identity `edge-<id>` that
     * may publish only its own request subject and read only its own inbox.
     */
    peers: string[]
    port: number
    deadlineMs: number
    maxUrlBytes: number
    maxBodyBytes: number
    linkPoolSize: number
    /** `POST /oauth2/token` per client address. */
    tokenEndpointRateLimit: { limit: number; period: 10 | 60 }
  }
  upstreams: Record<string, UpstreamConfig>
  bus: {
    host: string
    /** nats-servers per bus: one, or a three-node cluster with every stream replicated R3. */
    nodes: 1 | 3
    ports: BusPorts
    /** Ports of a clustered bus (`nodes: 3`); `clusterPortsOf` fills in what is left out. */
    cluster?: {
      nodePorts?: Partial<Record<keyof BusPorts, number[]>>
      routePorts?: Partial<Record<Exclude<keyof BusPorts, 'linkWebsocket'>, number[]>>
    }
    maxPayloadBytes: number
    duplicateWindowMs: number
    streamMaxBytes: number
    streamMaxMessages: number
    maxDeliver: number
    ackWaitMs: number
    /** How long a client's `Idempotency-Key` replays its first answer: the IDEM stream's max age. */
    idempotencyWindowMs?: number
    /** Lifetime of each component's bus credentials (user JWT); renewed by `portcullis keys`. */
    credentialsTtlSeconds: number
  }
  link: LinkConfig
  tokens: {
    accessTtlSeconds: number
    /** Default lifetime of a bearer token minted by `portcullis token`. */
    bearerTtlSeconds: number
    clockSkewSeconds: number
    jwks: {
      cooldownSeconds: number
      refreshSeconds: number
      maxStaleSeconds: number
      fetchTimeoutMs: number
    }
  }
  identityProviders: Record<string, IdentityProviderConfig>
  /** The request validator's limits and options (core/policy/validation.ts). */
  validation: RequestValidationPolicy & {
    /** The response validator's options (core/policy/response-validation.ts). */
    response: ResponseValidationPolicy
  }
  demo: { port: number }
  paths: { keys: string; data: string }
  audit: AuditConfig
  /** The live console (console/README.md). */
  console: { enabled: boolean; host: string; port: number }
  /** Spans of every stage, exported over OTLP/HTTP to `otlpUrl` (`.../v1/traces`) when set. */
  tracing: { otlpUrl?: string }
  /** Prometheus `/metrics` of every on-prem process. */
  metrics: { enabled: boolean; host: string; port: number }
  /**
   * Processes per stage, all sharing the stage's one durable consumer. The relay defaults to
   * 1, or 2 with `bus.nodes: 3` (a clustered link is only as available as its relays).
   */
  replicas: { relay: number; requestValidator: number; backend: number; responseValidator: number }
}
