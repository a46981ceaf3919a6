/**
 * The OpenAPI extensions the request validator reads from an operation, checked at start:
 * a value it cannot read exactly stops the start, naming the operation.
 */
import { EXTENSIONS, isObject, PARANOIA_LEVELS, type JsonLimits } from '../../../core/index.js'
import { SchemaError } from '../schema-walk.js'
import { INJECTION_CLASSES, type InjectionClass } from './injection.js'

/** An extension of the operation at `where` that cannot be read (POLICY_INVALID). */
function refused(where: string, message: string): SchemaError {
  return new SchemaError(where, message, 'POLICY_INVALID')
}

export const REQUEST_EXTENSIONS = {
  /** `[sql, xss, command, ...]`: the injection classes (CRS families) to look for in this route's input. */
  scan: EXTENSIONS.scan,
  /** `1` to `4`: the CRS paranoia level of this route's scan (the config's `validation.scan.paranoia` otherwise). */
  paranoia: EXTENSIONS.paranoia,
  /** `true`: query parameters the operation does not declare pass (still decoded and checked). */
  allowUnknownQuery: EXTENSIONS.allowUnknownQuery,
  /** `{ maxDepth?, maxStringLength?, maxArrayLength?, maxObjectKeys? }`: this route's JSON limits. */
  jsonLimits: EXTENSIONS.jsonLimits,
} as const

/** Each JSON limit's range, as in the config's schema (a deeper limit could exhaust the stack). */
const JSON_LIMIT_RANGE: Record<keyof JsonLimits, [number, number]> = {
  maxDepth: [1, 1000],
  maxStringLength: [0, 1_000_000],
  maxArrayLength: [0, 1_000_000],
  maxObjectKeys: [0, 1_000_000],
}

export function readScan(op: Record<string, unknown>, where: string): Set<InjectionClass> {
  const value = op[REQUEST_EXTENSIONS.scan]
  if (value === undefined) return new Set()
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((c) => (INJECTION_CLASSES as readonly unknown[]).includes(c))
  ) {
    throw refused(
      where,
      `${REQUEST_EXTENSIONS.scan} must list some of ${INJECTION_CLASSES.join(', ')}`,
    )
  }
  return new Set(value as InjectionClass[])
}

/**
 * The route's CRS paranoia level: `x-portcullis-paranoia` (1 to 4), else `fallback` (the
 * config's). Only meaningful with `x-portcullis-scan`: alone it stops the start.
 */
export function readParanoia(op: Record<string, unknown>, fallback: number, where: string): number {
  const value = op[REQUEST_EXTENSIONS.paranoia]
  if (value === undefined) return fallback
  if (!(PARANOIA_LEVELS as readonly unknown[]).includes(value)) {
    throw refused(where, `${REQUEST_EXTENSIONS.paranoia} must be 1, 2, 3 or 4`)
  }
  if (op[REQUEST_EXTENSIONS.scan] === undefined) {
    throw refused(
      where,
      `${REQUEST_EXTENSIONS.paranoia} needs ${REQUEST_EXTENSIONS.scan}: it sets the level of that scan`,
    )
  }
  return value as number
}

export function readAllowUnknownQuery(op: Record<string, unknown>, where: string): boolean {
  const value = op[REQUEST_EXTENSIONS.allowUnknownQuery]
  if (value === undefined) return false
  if (typeof value !== 'boolean') {
    throw refused(where, `${REQUEST_EXTENSIONS.allowUnknownQuery} must be true or false`)
  }
  return value
}

export function readJsonLimits(
  op: Record<string, unknown>,
  defaults: JsonLimits,
  where: string,
): JsonLimits {
  const value = op[REQUEST_EXTENSIONS.jsonLimits]
  const limits: JsonLimits = {
    maxDepth: defaults.maxDepth,
    maxStringLength: defaults.maxStringLength,
    maxArrayLength: defaults.maxArrayLength,
    maxObjectKeys: defaults.maxObjectKeys,
  }
  if (value === undefined) return limits
  if (!isObject(value)) {
    throw refused(where, `${REQUEST_EXTENSIONS.jsonLimits} must be an object`)
  }
  for (const [key, n] of Object.entries(value)) {
    if (!Object.hasOwn(JSON_LIMIT_RANGE, key)) {
      throw refused(where, `${REQUEST_EXTENSIONS.jsonLimits} has an unknown key ${key}`)
    }
    const [min, max] = JSON_LIMIT_RANGE[key as keyof JsonLimits]
    if (!Number.isSafeInteger(n) || (n as number) < min || (n as number) > max) {
      throw refused(
        where,
        `${REQUEST_EXTENSIONS.jsonLimits}.${key} must be a count from ${min} to ${max}`,
      )
    }
    limits[key as keyof JsonLimits] = n as number
  }
  return limits
}
