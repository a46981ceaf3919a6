/**
 * What a `$ref` may name, and the files it may make us read. A reference is a relative path
 * (percent-encoded as a URI reference), optionally with a JSON pointer fragment; it is read
 * from the file system below the root document's folder, never from the network.
 */
import { existsSync, realpathSync, statSync, readFileSync } from 'node:fs'
import { dirname, extname, resolve, sep } from 'node:path'
import { SetupError, type SetupErrorCode } from '../core/index.js'
import { readSource, shownPath, SourceError } from './source.js'

/** Files one document may consist of, and the size of each. */
export const MAX_FILES = 1000
export const MAX_FILE_BYTES = 16 * 1024 * 1024
export const DOCUMENT_EXTENSIONS = ['.yaml', '.yml', '.json']

/** A place in one file: the file's absolute path and the JSON pointer's unescaped tokens. */
export interface Place {
  file: string
  tokens: readonly string[]
}

export function pointerOf(tokens: readonly string[]): string {
  return tokens.map((t) => `/${t.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')
}

/**
 * A refusal of the document, naming the file and the JSON pointer in it: OPENAPI_INVALID, or
 * OPENAPI_UNREADABLE for a file that is not there or cannot be read.
 */
export class OpenApiError extends SetupError {
  declare readonly file: string
  readonly pointer: string | undefined
  readonly line: number | undefined
  readonly column: number | undefined
  /** Every file read before the refusal (what to watch until it is fixed). */
  files: string[] = []
  constructor(
    file: string,
    pointer: string | undefined,
    reason: string,
    position?: { line?: number; column?: number; message?: string; code?: SetupErrorCode },
  ) {
    super(
      position?.code ?? 'OPENAPI_INVALID',
      position?.message ?? `${shownPath(file)}#${pointer ?? ''}: ${reason}`,
      { file },
    )
    this.name = 'OpenApiError'
    this.pointer = pointer
    this.line = position?.line
    this.column = position?.column
  }

  static at(place: Place, reason: string): OpenApiError {
    return new OpenApiError(place.file, pointerOf(place.tokens), reason)
  }
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/

/** Splits a `$ref` into the file it names (absolute) and its pointer's tokens. */
export function parseRef(ref: string, from: Place): Place {
  const fail = (reason: string): never => {
    throw OpenApiError.at(from, `$ref ${JSON.stringify(ref.slice(0, 200))}: ${reason}`)
  }
  const hash = ref.indexOf('#')
  const uri = hash < 0 ? ref : ref.slice(0, hash)
  const fragment = hash < 0 ? '' : ref.slice(hash + 1)
  const scheme = SCHEME.exec(uri)?.[0].toLowerCase()
  if (scheme === 'http:' || scheme === 'https:' || uri.startsWith('//')) {
    fail(
      'URL references are refused: the gateway never fetches at start; save the file beside the document and name it by a relative path',
    )
  }
  if (scheme === 'file:') fail('file: URLs are refused; name the file by a relative path')
  if (scheme) fail(`references with a scheme (${scheme}) are not supported`)
  if (uri.startsWith('/')) fail('absolute paths are refused; name the file by a relative path')
  if (uri.includes('\\')) fail('a backslash is not a path separator in a reference; use /')
  if (uri.includes('?')) fail('a query in a reference is not supported')
  let path: string
  let pointer: string
  try {
    path = decodeURIComponent(uri)
    pointer = decodeURIComponent(fragment)
  } catch {
    return fail('invalid percent-encoding')
  }
  if (path.includes('\0') || pointer.includes('\0')) fail('a NUL character')
  if (pointer !== '' && !pointer.startsWith('/')) {
    fail('only JSON pointer fragments (#/...) are supported, not anchors')
  }
  const tokens =
    pointer === ''
      ? []
      : pointer
          .slice(1)
          .split('/')
          .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'))
  return { file: path === '' ? from.file : resolve(dirname(from.file), path), tokens }
}

/**
 * Reads the files of one document, each once: only `.yaml`, `.yml` and `.json` files whose
 * real path (symbolic links followed) is below the root document's folder.
 */
export class FileStore {
  readonly root: string
  /** The root document's folder, real path. */
  readonly boundary: string
  /** Absolute paths, in the order first read. */
  readonly files: string[] = []
  private readonly parsed = new Map<string, unknown>()

  constructor(root: string) {
    const given = resolve(root)
    if (!existsSync(given)) {
      throw new OpenApiError(given, undefined, 'no such file', {
        message: `${shownPath(given)}: no such file`,
        code: 'OPENAPI_UNREADABLE',
      })
    }
    // The document is where it really is: its references resolve from there.
    this.root = realpathSync(given)
    this.boundary = dirname(this.root)
  }

  /** The data of `file`, read when first asked; `via` is the reference that names it. */
  read(file: string, via?: Place): unknown {
    if (this.parsed.has(file)) return this.parsed.get(file)
    const fail = (reason: string, code: SetupErrorCode = 'OPENAPI_INVALID'): never => {
      if (!via) {
        throw new OpenApiError(file, undefined, reason, {
          message: `${shownPath(file)}: ${reason}`,
          code,
        })
      }
      throw new OpenApiError(via.file, pointerOf(via.tokens), `${shownPath(file)}: ${reason}`, {
        code,
      })
    }
    if (!DOCUMENT_EXTENSIONS.includes(extname(file).toLowerCase())) {
      fail(`only ${DOCUMENT_EXTENSIONS.join(', ')} files are read`)
    }
    if (!existsSync(file)) fail('no such file', 'OPENAPI_UNREADABLE')
    const real = realpathSync(file)
    if (!real.startsWith(this.boundary + sep)) {
      fail(`is outside ${shownPath(this.boundary)}, the root document's folder`)
    }
    const stat = statSync(real)
    if (!stat.isFile()) fail('is not a file', 'OPENAPI_UNREADABLE')
    if (stat.size > MAX_FILE_BYTES) fail(`is larger than ${MAX_FILE_BYTES} bytes`)
    if (this.files.length >= MAX_FILES) fail(`the document has more than ${MAX_FILES} files`)
    this.files.push(file)
    let text: string
    try {
      text = readFileSync(real, 'utf8')
    } catch (e) {
      return fail(`cannot be read: ${(e as Error).message}`, 'OPENAPI_UNREADABLE')
    }
    let data: unknown
    try {
      data = readSource(file, text)
    } catch (e) {
      if (!(e instanceof SourceError)) throw e
      throw new OpenApiError(file, undefined, e.message, {
        ...(e.line === undefined ? {} : { line: e.line }),
        ...(e.column === undefined ? {} : { column: e.column }),
        message: e.message,
      })
    }
    this.parsed.set(file, data)
    return data
  }
}
