/**
 * The response validator's options, as data: the config file's `validation.response`
 * section has this shape and these defaults (config/schema.ts builds its schema from them);
 * OpenAPI extensions choose per route (`x-portcullis-undeclared-fields`,
 * `x-portcullis-allow-leaks`). Closed by default: undeclared fields refuse the response and
 * every leak signature is checked.
 */

export const UNDECLARED_FIELDS_POLICIES = ['refuse', 'drop'] as const
export type UndeclaredFieldsPolicy = (typeof UNDECLARED_FIELDS_POLICIES)[number]

export const COOKIE_SAME_SITE = ['Strict', 'Lax'] as const
export type CookieSameSite = (typeof COOKIE_SAME_SITE)[number]

export interface ResponseValidationPolicy {
  /** Members of a JSON body its schema does not declare: `refuse` the response or `drop` them. */
  undeclaredFields: UndeclaredFieldsPolicy
  /**
   * Leak signatures not checked on any route: families (`token`) or ids (`token/jwt`) of the
   * response validator's table. Empty: every signature is checked.
   */
  allowLeaks: string[]
  /** The `SameSite` every cookie is given (with `Secure` and `HttpOnly`, always). */
  cookieSameSite: CookieSameSite
  /** Nesting of objects and arrays in a JSON body; deeper is refused. */
  maxJsonDepth: number
}

export const DEFAULT_RESPONSE_VALIDATION: ResponseValidationPolicy = {
  undeclaredFields: 'refuse',
  allowLeaks: [],
  cookieSameSite: 'Strict',
  maxJsonDepth: 64,
}
