/**
 * The JSON Schema of the config file. Every key is declared; anything unknown is refused,
 * so a typo never silently falls back to a default.
 */
import { TOPOLOGY_MODES } from './types.js'
import {
  COOKIE_SAME_SITE,
  DEFAULT_REQUEST_VALIDATION,
  DEFAULT_RESPONSE_VALIDATION,
  DEPLOYMENT_MODES,
  MAX_RATE_LIMIT,
  RATE_LIMIT_PERIODS,
  TOKEN_ENDPOINT_RATE_LIMIT_DEFAULT,
  UNDECLARED_FIELDS_POLICIES,
} from '../core/index.js'

const port = { type: 'integer', minimum: 1, maximum: 65535 } as const
const ms = (min: number, max: number) => ({ type: 'integer', minimum: min, maximum: max }) as const
const name = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' } as const
const count = (min: number, max: number, fallback: number) =>
  ({ type: 'integer', minimum: min, maximum: max, default: fallback }) as const
const flag = (fallback: boolean) => ({ type: 'boolean', default: fallback }) as const
const section = <P extends Record<string, unknown>>(properties: P) =>
  ({ type: 'object', additionalProperties: false, default: {}, properties }) as const

/** `validation.response`: the response validator's options (core/policy/response-validation.ts). */
const R = DEFAULT_RESPONSE_VALIDATION
const responseValidation = section({
  undeclaredFields: { enum: UNDECLARED_FIELDS_POLICIES, default: R.undeclaredFields },
  allowLeaks: {
    type: 'array',
    uniqueItems: true,
    // Checked against the signature table when the response validator starts.
    items: { type: 'string', pattern: '^[a-z0-9-]+(?:/[a-z0-9-]+)?$' },
    default: R.allowLeaks,
  },
  cookieSameSite: { enum: COOKIE_SAME_SITE, default: R.cookieSameSite },
  maxJsonDepth: count(1, 1000, R.maxJsonDepth),
})

/** The `validation` section: the request validator's limits (core/policy/validation.ts). */
const V = DEFAULT_REQUEST_VALIDATION
const validation = section({
  headers: section({
    maxCount: count(1, 100, V.headers.maxCount),
    maxNameBytes: count(1, 256, V.headers.maxNameBytes),
    maxValueBytes: count(1, 8192, V.headers.maxValueBytes),
    maxTotalBytes: count(1, 819_200, V.headers.maxTotalBytes),
    allow: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', pattern: "^[a-z0-9!#$%&'+.^_`|~-]+\\*?$" },
      default: V.headers.allow,
    },
    unknown: { enum: ['refuse', 'drop'], default: V.headers.unknown },
    allowNonAscii: flag(V.headers.allowNonAscii),
  }),
  path: section({
    maxSegments: count(1, 1024, V.path.maxSegments),
    maxSegmentBytes: count(1, 8192, V.path.maxSegmentBytes),
    allowEncodedSlash: flag(V.path.allowEncodedSlash),
  }),
  query: section({
    maxParameters: count(0, 1024, V.query.maxParameters),
    maxNameBytes: count(1, 8192, V.query.maxNameBytes),
    maxValueBytes: count(0, 8192, V.query.maxValueBytes),
  }),
  json: section({
    maxDepth: count(1, 1000, V.json.maxDepth),
    maxStringLength: count(0, 1_000_000, V.json.maxStringLength),
    maxArrayLength: count(0, 1_000_000, V.json.maxArrayLength),
    maxObjectKeys: count(0, 1_000_000, V.json.maxObjectKeys),
    forbiddenKeys: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string' },
      default: V.json.forbiddenKeys,
    },
    integerSpelling: { enum: ['strict', 'lenient'], default: V.json.integerSpelling },
  }),
  // The injection scan (validators/lib/request/crs/): where the Core Rule Set is installed,
  // the default paranoia level and the anomaly score that refuses a request.
  scan: section({
    crsDirectory: { type: 'string', minLength: 1, default: V.scan!.crsDirectory },
    paranoia: count(1, 4, V.scan!.paranoia),
    threshold: count(1, 1000, V.scan!.threshold),
  }),
  response: responseValidation,
})

/** The `audit` section: the audit trail's storage and mirrors (audit/store, audit/mirrors). */
const audit = section({
  databaseUrl: { type: 'string', pattern: '^postgres(ql)?://' },
  batchSize: count(1, 10_000, 500),
  batchMaxWaitMs: count(1, 60_000, 200),
  checkpoint: section({
    everyEvents: count(1, 1_000_000, 1000),
    everySeconds: count(1, 86_400, 60),
  }),
  syslog: {
    type: 'object',
    additionalProperties: false,
    required: ['host', 'port', 'transport'],
    properties: {
      host: { type: 'string', minLength: 1 },
      port,
      transport: { enum: ['udp', 'tcp'] },
      appName: { type: 'string', pattern: '^[!-~]{1,48}$', default: 'portcullis' },
    },
  },
  otlp: {
    type: 'object',
    additionalProperties: false,
    required: ['url'],
    properties: {
      url: { type: 'string', pattern: '^https?://' },
      timeoutMs: { ...ms(100, 120_000), default: 5000 },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
  mirrorQueue: count(1, 1_000_000, 10_000),
})

export const configSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['upstreams'],
  properties: {
    $schema: { type: 'string' },
    deployment: { enum: DEPLOYMENT_MODES, default: 'LAB' },
    topology: { enum: TOPOLOGY_MODES, default: 'isolated' },
    edge: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        id: { ...name, default: 'local' },
        peers: { type: 'array', items: name, uniqueItems: true, maxItems: 64, default: [] },
        port: { ...port, default: 8787 },
        deadlineMs: { ...ms(100, 120_000), default: 15_000 },
        maxUrlBytes: { type: 'integer', minimum: 256, maximum: 16_384, default: 8192 },
        maxBodyBytes: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 1_000_000 },
        linkPoolSize: { type: 'integer', minimum: 1, maximum: 64, default: 4 },
        // POST /oauth2/token per client address (core/policy/rate-limit.ts); needs the binding
        // RATE_LIMIT_<limit>_PER_<period>, as a route's limit does.
        tokenEndpointRateLimit: {
          type: 'object',
          additionalProperties: false,
          required: ['limit', 'period'],
          default: { ...TOKEN_ENDPOINT_RATE_LIMIT_DEFAULT },
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: MAX_RATE_LIMIT },
            period: { enum: RATE_LIMIT_PERIODS },
          },
        },
      },
    },
    upstreams: {
      type: 'object',
      minProperties: 1,
      propertyNames: name,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['baseUrl', 'openapi'],
        properties: {
          baseUrl: { type: 'string', pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$' },
          openapi: { type: 'string', minLength: 1 },
          timeoutMs: { ...ms(10, 120_000), default: 10_000 },
          maxResponseBytes: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 900_000 },
          /** The upstream replays its first answer per Idempotency-Key (backend/README.md). */
          honoursIdempotencyKey: { type: 'boolean', default: false },
        },
      },
    },
    bus: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', default: '127.0.0.1' },
        /** nats-servers per bus: 1, or a 3-node cluster with R3 streams (topology/README.md). */
        nodes: { enum: [1, 3], default: 1 },
        ports: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            link: { ...port, default: 7420 },
            linkWebsocket: { ...port, default: 7421 },
            dreq: { ...port, default: 7422 },
            creq: { ...port, default: 7423 },
            dresp: { ...port, default: 7424 },
            cresp: { ...port, default: 7425 },
          },
        },
        /**
         * With `nodes: 3`: each server's client ports of nodes 2 and 3 (`nodePorts`, the link's
         * WebSocket listener too) and the route ports of nodes 1..3 (`routePorts`). A server left
         * out takes its `ports` entry plus 10 and 20, and plus 30, 40 and 50 (topology/README.md).
         */
        cluster: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            nodePorts: {
              type: 'object',
              additionalProperties: false,
              properties: Object.fromEntries(
                ['link', 'linkWebsocket', 'dreq', 'creq', 'dresp', 'cresp'].map((k) => [
                  k,
                  { type: 'array', items: port, minItems: 2, maxItems: 2 },
                ]),
              ),
            },
            routePorts: {
              type: 'object',
              additionalProperties: false,
              properties: Object.fromEntries(
                ['link', 'dreq', 'creq', 'dresp', 'cresp'].map((k) => [
                  k,
                  { type: 'array', items: port, minItems: 3, maxItems: 3 },
                ]),
              ),
            },
          },
        },
        maxPayloadBytes: {
          type: 'integer',
          minimum: 65_536,
          maximum: 8_388_608,
          default: 2_097_152,
        },
        duplicateWindowMs: { ...ms(1_000, 3_600_000), default: 120_000 },
        streamMaxBytes: { type: 'integer', minimum: 1_048_576, default: 1_073_741_824 },
        streamMaxMessages: { type: 'integer', minimum: 100, default: 1_000_000 },
        maxDeliver: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
        ackWaitMs: { ...ms(500, 300_000), default: 3_000 },
        /** How long a client's `Idempotency-Key` replays its first answer (backend/README.md). */
        idempotencyWindowMs: { ...ms(60_000, 7 * 86_400_000), default: 86_400_000 },
        credentialsTtlSeconds: {
          type: 'integer',
          minimum: 60,
          maximum: 366 * 86_400,
          default: 30 * 86_400,
        },
      },
    },
    /**
     * The link's WebSocket listener as the edge reaches it (topology/README.md, TLS on the
     * link): the host name in the edge's link URLs, and the listener's certificate (`wss://`).
     * Paths are relative to the config file. In PROD the link refuses to run without `tls`
     * unless `allowPlaintext` says so.
     */
    link: section({
      publicHost: { type: 'string', pattern: '^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$' },
      tls: {
        type: 'object',
        additionalProperties: false,
        required: ['certFile', 'keyFile'],
        properties: {
          certFile: { type: 'string', minLength: 1 },
          keyFile: { type: 'string', minLength: 1 },
          caFile: { type: 'string', minLength: 1 },
        },
      },
      allowPlaintext: flag(false),
    }),
    tokens: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        accessTtlSeconds: { type: 'integer', minimum: 1, maximum: 900, default: 60 },
        bearerTtlSeconds: {
          type: 'integer',
          minimum: 60,
          maximum: 90 * 86_400,
          default: 30 * 86_400,
        },
        clockSkewSeconds: { type: 'integer', minimum: 0, maximum: 300, default: 30 },
        jwks: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            cooldownSeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 30 },
            refreshSeconds: { type: 'integer', minimum: 1, maximum: 86_400, default: 600 },
            maxStaleSeconds: {
              type: 'integer',
              minimum: 1,
              maximum: 30 * 86_400,
              default: 86_400,
            },
            fetchTimeoutMs: { ...ms(100, 30_000), default: 5000 },
          },
        },
      },
    },
    identityProviders: {
      type: 'object',
      default: {},
      propertyNames: name,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['issuer', 'audience', 'algorithms', 'jwksUrl'],
        properties: {
          issuer: { type: 'string', minLength: 1 },
          audience: {
            anyOf: [
              { type: 'string', minLength: 1 },
              { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
            ],
          },
          algorithms: { type: 'array', minItems: 1, items: { type: 'string' } },
          jwksUrl: { type: 'string', minLength: 1 },
          subjectPrefix: { type: 'string', maxLength: 64 },
          roles: {
            type: 'object',
            additionalProperties: false,
            required: ['claim'],
            properties: {
              claim: { type: 'string', minLength: 1 },
              map: { type: 'object', additionalProperties: { type: 'string' } },
            },
          },
          claims: { type: 'object', additionalProperties: { type: 'string' } },
          maxLifetimeSeconds: { type: 'integer', minimum: 1 },
          exchangeTtlSeconds: { type: 'integer', minimum: 1, maximum: 30 * 86_400 },
        },
      },
    },
    validation,
    demo: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { port: { ...port, default: 8790 } },
    },
    paths: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        keys: { type: 'string', default: '.portcullis/keys' },
        data: { type: 'string', default: '.portcullis/data' },
      },
    },
    audit,
    /**
     * Prometheus `/metrics` of every on-prem process (runtime/README.md): on `host`, at `port`
     * plus the process's index in the stack's order, or, with port 0, a port the kernel picks
     * (listed by `portcullis status --json`).
     */
    /** The live console `portcullis up` serves (console/README.md); loopback by default. */
    console: section({
      enabled: flag(true),
      host: { type: 'string', enum: ['127.0.0.1', '::1', '0.0.0.0', '::'], default: '127.0.0.1' },
      port: { ...port, default: 8791 },
    }),
    /** Spans of every stage, exported over OTLP/HTTP when `otlpUrl` is set (README, Traces). */
    tracing: section({
      otlpUrl: { type: 'string', pattern: '^https?://[^\\s]+$' },
    }),
    metrics: section({
      enabled: flag(true),
      host: { type: 'string', enum: ['127.0.0.1', '::1', '0.0.0.0', '::'], default: '127.0.0.1' },
      port: { type: 'integer', minimum: 0, maximum: 65535, default: 0 },
    }),
    /** Processes per stage, all on the stage's one durable consumer (cli/README.md). */
    replicas: section({
      relay: { type: 'integer', minimum: 1, maximum: 16 },
      requestValidator: count(1, 16, 1),
      backend: count(1, 16, 1),
      responseValidator: count(1, 16, 1),
    }),
  },
} as const
