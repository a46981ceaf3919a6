import { decode, type ClaimsData } from '@nats-io/jwt'

/** The claims of a JWT signed by its issuer, or undefined when it is absent or not one. */
export function claimsOf<T>(jwt: string | undefined): ClaimsData<T> | undefined {
  if (!jwt) return undefined
  try {
    return decode<T>(jwt)
  } catch {
    return undefined
  }
}
