import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository's folder, wherever the command was started from. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
