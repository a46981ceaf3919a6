/**
 * The text of a NATS user creds file: a user JWT block and the user's nkey seed block, as
 * `portcullis keys` writes them. One parser for the edge (its `LINK_CREDS` secret) and the
 * on-prem side (the files under the key folder); it reads the blocks, it checks no signature.
 */

const USER_JWT =
  /-----BEGIN NATS USER JWT-----\r?\n\s*([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*\r?\n\s*------END NATS USER JWT------/
const USER_SEED =
  /-----BEGIN USER NKEY SEED-----\r?\n\s*(SU[A-Z2-7]{50,})\s*\r?\n\s*------END USER NKEY SEED------/

export interface UserCreds {
  jwt: string
  seed: string
}

/** The user JWT and seed of a creds file, or undefined when the text is not one. */
export function parseUserCreds(text: string): UserCreds | undefined {
  const jwt = USER_JWT.exec(text)?.[1]
  const seed = USER_SEED.exec(text)?.[1]
  return jwt && seed ? { jwt, seed } : undefined
}
