/**
 * The request validator's limits and options, as data: the config file's `validation`
 * section has this shape and these defaults (config/schema.ts builds its schema from them),
 * and OpenAPI extensions narrow or widen some of them per route. Closed by default.
 */

export interface JsonLimits {
  /** Nesting of objects and arrays; the top-level value is depth 1. */
  maxDepth: number
  /** Length of one string (keys included), in UTF-16 code units after unescaping. */
  maxStringLength: number
  /** Elements of one array. */
  maxArrayLength: number
  /** Keys of one object. */
  maxObjectKeys: number
}

export interface RequestValidationPolicy {
  headers: {
    /** Headers of one request. */
    maxCount: number
    maxNameBytes: number
    maxValueBytes: number
    /** Names and values of all headers together. */
    maxTotalBytes: number
    /** Header names allowed on every route besides the built-in safe set; `name*` is a prefix. */
    allow: string[]
    /** A header outside the allow-list: `refuse` (HEADER_NOT_ALLOWED) or `drop` it. */
    unknown: 'refuse' | 'drop'
    /** Bytes 0x80-0xff (obs-text) in header values. */
    allowNonAscii: boolean
  }
  path: {
    maxSegments: number
    maxSegmentBytes: number
    /** `%2F` inside a segment, which upstreams decode differently. */
    allowEncodedSlash: boolean
  }
  query: {
    maxParameters: number
    maxNameBytes: number
    /** Bytes of one decoded value. */
    maxValueBytes: number
  }
  json: JsonLimits & {
    /** Object keys refused anywhere in a body (prototype pollution). */
    forbiddenKeys: string[]
    /**
     * `strict`: `type: integer` refuses `1.0`, `1e2` and `-0` in a JSON body (upstream parsers
     * disagree about them); `lenient`: the schema alone decides (JSON.parse's value).
     */
    integerSpelling: 'strict' | 'lenient'
  }
  /** The injection scan of routes with `x-portcullis-scan` (validators/lib/request/crs/). */
  scan?: ScanPolicy
}

export interface ScanPolicy {
  /** The OWASP Core Rule Set's rule files (Debian's `modsecurity-crs`), read at start. */
  crsDirectory: string
  /** CRS paranoia level 1 to 4 for routes without `x-portcullis-paranoia`. */
  paranoia: number
  /** CRS inbound anomaly score at which a request is refused (critical 5, error 4, warning 3, notice 2). */
  threshold: number
}

export const DEFAULT_SCAN_POLICY: ScanPolicy = {
  crsDirectory: '/usr/share/modsecurity-crs/rules',
  paranoia: 1,
  threshold: 5,
}

export const DEFAULT_REQUEST_VALIDATION: RequestValidationPolicy = {
  headers: {
    maxCount: 64,
    maxNameBytes: 64,
    maxValueBytes: 4096,
    maxTotalBytes: 16_384,
    allow: [],
    unknown: 'refuse',
    allowNonAscii: false,
  },
  path: { maxSegments: 32, maxSegmentBytes: 256, allowEncodedSlash: false },
  query: { maxParameters: 32, maxNameBytes: 128, maxValueBytes: 2048 },
  json: {
    maxDepth: 32,
    maxStringLength: 65_536,
    maxArrayLength: 10_000,
    maxObjectKeys: 1_000,
    forbiddenKeys: ['__proto__', 'constructor', 'prototype'],
    integerSpelling: 'strict',
  },
  scan: DEFAULT_SCAN_POLICY,
}
