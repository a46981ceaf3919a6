/**
 * Secret files in the key folder: 0600 files in 0700 folders, written in one step, created
 * once and never clobbered, and refused when others can read them (as ssh does).
 */
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname } from 'node:path'
import { SetupError } from '../../core/index.js'

/** Makes `path`'s folder, private to the owner. */
export function privateFolderOf(path: string): void {
  const folder = dirname(path)
  mkdirSync(folder, { recursive: true, mode: 0o700 })
  chmodSync(folder, 0o700)
}

/**
 * Replaces `path` in one step (a temporary file renamed over it), mode 0600: a reader sees
 * the old content or the new, never half of it.
 */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  privateFolderOf(path)
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' })
    renameSync(tmp, path)
  } catch (e) {
    rmSync(tmp, { force: true })
    throw e
  }
}

/**
 * Creates `path` with `data` unless it exists; never replaces it. `wx` fails when the file
 * exists, so two processes racing here cannot clobber what the other already wrote.
 */
export function createPrivateFileOnce(path: string, data: string | Uint8Array): void {
  privateFolderOf(path)
  try {
    writeFileSync(path, data, { mode: 0o600, flag: 'wx' })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  }
}

/**
 * Reads a secret file (`what`: "nkey seed", "credentials"); refuses one others can read,
 * like ssh does.
 */
export function readPrivateFile(path: string, what: string, label: string): Buffer {
  let mode: number
  try {
    mode = statSync(path).mode
  } catch (e) {
    throw new SetupError(
      'KEY_MISSING',
      `no ${what} for ${label} at ${path} (run \`portcullis keys\`)`,
      { file: path, cause: e },
    )
  }
  if ((mode & 0o077) !== 0) {
    throw new SetupError(
      'KEY_EXPOSED',
      `${what} ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
      { file: path },
    )
  }
  return readFileSync(path)
}

/** A file's text, trimmed; undefined when there is no such file. */
export function readTextIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
}
