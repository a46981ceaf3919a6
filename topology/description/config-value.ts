import { SetupError } from '../../core/index.js'

/** A value in a nats-server config: a JSON-style double-quoted string, as nats-server reads it. */
export function quoted(value: string): string {
  // Control characters never belong in a config value (a path, a host, a JWT).
  if (/[\x00-\x1f\x7f]/.test(value)) {
    throw new SetupError(
      'CONFIG_INVALID',
      `control character in config value ${JSON.stringify(value)}`,
    )
  }
  return JSON.stringify(value)
}
