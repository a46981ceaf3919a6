/** The tests' small documents: a folder of files written from a map of paths to text. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** Writes `files` (relative path -> text) under a new temporary folder; returns the folder. */
export function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-openapi-'))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  return dir
}

/** A minimal OpenAPI 3.1 root document in YAML, with `paths` and `components` as given. */
export function rootYaml(paths: string, components = '', version = '3.1.0'): string {
  return [
    `openapi: ${version}`,
    'info: { title: t, version: "1" }',
    'paths:',
    indent(paths, 2),
    ...(components ? ['components:', indent(components, 2)] : []),
    '',
  ].join('\n')
}

function indent(text: string, n: number): string {
  return text
    .trim()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n')
}
