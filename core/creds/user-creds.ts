/**
 * The text of a NATS user creds file: a user JWT block and the user's nkey seed block, as
 * `portcullis keys` writes them. One parser for the edge (its `LINK_CREDS` secret) and the
 * on-prem side (the files under the key folder); it reads the blocks, it checks no signature.
 */

/**
 * One block of a creds file: its armour line (five dashes), the value, then the end line (six
 * dashes, as nsc writes it).
 */
function block(label: string, value: string): RegExp {
  return new RegExp(
    `-{5}BEGIN ${label}-{5}\\r?\\n\\s*(${value})\\s*\\r?\\n\\s*-{6}END ${label}-{6}`,
  )
}

const USER_JWT = block('NATS USER JWT', '[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+')
const USER_SEED = block('USER NKEY SEED', 'SU[A-Z2-7]{50,}')

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
