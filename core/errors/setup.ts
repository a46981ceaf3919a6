/**
 * Every way starting (or reloading) can fail, each with a stable code and what to do.
 *
 * Beside `ERROR_TABLE`: those codes answer requests; these stop a process before it serves
 * one (or keep the running policy when a reload is refused). A setup failure never reaches a
 * client: if one escapes into the request path, `asGatewayError` makes it `INTERNAL_ERROR`.
 */

export const SETUP_ERROR_TABLE = {
  CONFIG_UNREADABLE: {
    title: 'The config file cannot be read',
    action: 'check the path given with --config (or PORTCULLIS_CONFIG) and its permissions',
  },
  CONFIG_INVALID: {
    title: 'A config key is invalid',
    action: 'fix the named key; `portcullis check` lists every problem',
  },
  OPENAPI_UNREADABLE: {
    title: 'An OpenAPI document cannot be read',
    action: "check the upstream's openapi path and every file it references",
  },
  OPENAPI_INVALID: {
    title: 'An OpenAPI document is refused',
    action: 'fix the named file and JSON pointer; `portcullis check` compiles every route',
  },
  POLICY_INVALID: {
    title: "A route's policy extension is invalid",
    action: 'fix the named x-portcullis extension (docs: core/policy/README.md)',
  },
  SCHEMA_INVALID: {
    title: 'A schema cannot be compiled',
    action: 'fix the named schema in the OpenAPI document',
  },
  RULES_MISSING: {
    title: 'The injection rules (OWASP CRS) are missing',
    action: "install Debian's modsecurity-crs or set validators.crsDirectory",
  },
  KEY_MISSING: {
    title: 'A key or credential file is missing',
    action: 'run `portcullis keys` to generate the missing files',
  },
  KEY_INVALID: {
    title: 'A key or credential file is not what it should be',
    action: 'regenerate it with `portcullis keys` (remove the bad file first)',
  },
  KEY_EXPOSED: {
    title: 'A secret file can be read by other users',
    action: 'chmod 600 the file (or regenerate it with `portcullis keys`)',
  },
  TOPOLOGY_INVALID: {
    title: 'The bus topology is inconsistent',
    action: "fix the named bus, server or identity in the config's topology keys",
  },
  BUS_START_FAILED: {
    title: 'A nats-server did not start',
    action: 'read the server log quoted with the error; check the ports are free',
  },
  BUS_NOT_READY: {
    title: 'A bus did not become ready in time',
    action: 'check the named nats-server is running and reachable',
  },
  PORT_IN_USE: {
    title: 'A port the gateway listens on is taken',
    action: 'stop what listens on it (`portcullis status` shows a running stack) or change its key',
  },
  PROCESS_START_FAILED: {
    title: 'A process of the stack did not start',
    action: 'read its start-failed line above: it names the code and what to do',
  },
  ENV_INVALID: {
    title: 'An environment variable or binding is missing or invalid',
    action: 'set the named variable (docs/deploy.md lists each one)',
  },
  DEPENDENCY_MISSING: {
    title: 'A program the gateway needs is not installed',
    action: "install the named program (npm start installs Debian's packages where it can)",
  },
  ARGUMENT_INVALID: {
    title: 'A command-line argument is invalid',
    action: 'see `portcullis help`',
  },
} as const satisfies Record<string, { title: string; action: string }>

export type SetupErrorCode = keyof typeof SETUP_ERROR_TABLE

export function isSetupErrorCode(value: unknown): value is SetupErrorCode {
  return typeof value === 'string' && Object.hasOwn(SETUP_ERROR_TABLE, value)
}

export interface SetupErrorOptions {
  /** The config key at fault, dotted (`upstreams.shop.openapi`). */
  key?: string
  /** The file at fault, as the operator wrote or would find it. */
  file?: string
  /** Overrides the table's action where the failure knows better. */
  action?: string
  cause?: unknown
}

/**
 * A process cannot start (or a reload is refused). `message` names what is wrong and where;
 * `action` says what to do about it.
 */
export class SetupError extends Error {
  readonly code: SetupErrorCode
  readonly key?: string
  readonly file?: string
  readonly action: string

  constructor(code: SetupErrorCode, message: string, options: SetupErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SetupError'
    this.code = code
    this.key = options.key
    this.file = options.file
    this.action = options.action ?? SETUP_ERROR_TABLE[code].action
  }
}

/** One line for a log or a terminal: `CODE: message (what to do)`. */
export function describeSetupError(e: SetupError): string {
  return `${e.code}: ${e.message} (${e.action})`
}
