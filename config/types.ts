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
}

export interface BusPorts {
  link: number
  linkWebsocket: number
  dreq: number
  creq: number
  dresp: number
  cresp: number
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
  }
  upstreams: Record<string, UpstreamConfig>
  bus: {
    host: string
    ports: BusPorts
    maxPayloadBytes: number
    duplicateWindowMs: number
    streamMaxBytes: number
    streamMaxMessages: number
    maxDeliver: number
    ackWaitMs: number
    /** Lifetime of each component's bus credentials (user JWT); renewed by `portcullis keys`. */
    credentialsTtlSeconds: number
  }
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
}
