/**
 * How every on-prem process finds its configuration: `--config <file>` (default
 * `portcullis.config.json` in the working folder) plus optional overrides as JSON in
 * `PORTCULLIS_CONFIG_OVERRIDES`, which `portcullis up` and the tests use to pick ports.
 */
import { loadConfig, type LoadedConfig } from '../config/index.js'
import { SetupError } from '../core/index.js'
import { watchedConfig, type LiveConfig } from './live-config.js'
import type { Logger } from './log.js'

export const OVERRIDES_ENV = 'PORTCULLIS_CONFIG_OVERRIDES'

export function configFromArgs(argv: string[] = process.argv.slice(2)): LoadedConfig {
  const i = argv.indexOf('--config')
  const file = i >= 0 && argv[i + 1] ? argv[i + 1]! : 'portcullis.config.json'
  return loadConfig(file, overridesOf(process.env[OVERRIDES_ENV]))
}

function overridesOf(raw: string | undefined): unknown {
  if (!raw) return undefined
  try {
    return JSON.parse(raw)
  } catch (e) {
    throw new SetupError('ENV_INVALID', `${OVERRIDES_ENV} is not JSON: ${(e as Error).message}`)
  }
}

/**
 * The process's config, following its files: reloaded on SIGHUP and when the config file or an
 * OpenAPI document it reads changes (live-config.ts).
 */
export function liveConfigFromArgs(
  log: Logger,
  argv: string[] = process.argv.slice(2),
): LiveConfig {
  const load = () => configFromArgs(argv)
  return watchedConfig(load(), load, log)
}
