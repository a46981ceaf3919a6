/**
 * Which HTTP methods may change the upstream's state: RFC 9110 9.2.1's safe methods are
 * read-only, every other method the gateway carries is a write. One list for every stage that
 * decides on it: the response contract's write rules, the upstream client's "outcome unknown"
 * after a broken connection, and the Idempotency-Key record.
 */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/** A method the upstream may apply (POST, PUT, PATCH, DELETE): not safe. */
export function isWriteMethod(method: string): boolean {
  return !SAFE_METHODS.has(method)
}
