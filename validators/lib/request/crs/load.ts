/**
 * Reads the Core Rule Set from the installed package at start (Debian's `modsecurity-crs`:
 * `/usr/share/modsecurity-crs/rules`, the config's `validation.scan.crsDirectory`), then adds
 * the product's own rules (portcullis-rules.ts). A missing file stops the start, naming the key.
 * Read once per directory and kept: every route shares one rule set.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SetupError } from '../../../../core/index.js'
import { CRS_FILES, PRODUCT_RULES_FILE } from './families.js'
import { PRODUCT_RULES } from './portcullis-rules.js'
import { buildRuleSet, type RuleSet } from './ruleset.js'

export const CRS_DIRECTORY_KEY = 'validation.scan.crsDirectory'

const loaded = new Map<string, RuleSet>()

/** A file of the Core Rule Set is not where the config says (RULES_MISSING). */
export class CrsMissingError extends SetupError {
  constructor(message: string, file: string) {
    super('RULES_MISSING', message, { key: CRS_DIRECTORY_KEY, file })
    this.name = 'CrsMissingError'
  }
}

export function loadRuleSet(directory: string): RuleSet {
  const cached = loaded.get(directory)
  if (cached) return cached
  const files: Array<{ name: string; text: string }> = CRS_FILES.map((name) => {
    const path = join(directory, name)
    if (!existsSync(path)) {
      throw new CrsMissingError(
        `${CRS_DIRECTORY_KEY}: ${path} is missing (install Debian's modsecurity-crs, or point ${CRS_DIRECTORY_KEY} at the Core Rule Set's rules directory)`,
        path,
      )
    }
    return { name, text: readFileSync(path, 'utf8') }
  })
  files.push({ name: PRODUCT_RULES_FILE, text: PRODUCT_RULES })
  const set = buildRuleSet(files, (name) => {
    const path = join(directory, name)
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined
  })
  loaded.set(directory, set)
  return set
}
