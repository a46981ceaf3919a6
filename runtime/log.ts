/**
 * Line logger for on-prem processes: one line per event, `level event key=value ...`.
 * `portcullis up` prefixes each line with the component's name. Values are quoted when
 * they contain spaces; CR/LF are escaped so a logged value can never forge a line.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void
  info(event: string, fields?: Record<string, unknown>): void
  warn(event: string, fields?: Record<string, unknown>): void
  error(event: string, fields?: Record<string, unknown>): void
}

const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 }

function format(value: unknown): string {
  const text =
    value instanceof Error
      ? value.message
      : typeof value === 'string'
        ? value
        : JSON.stringify(value)
  const safe = (text ?? 'undefined').replace(/[\r\n]/g, (c) => (c === '\r' ? '\\r' : '\\n'))
  return /[\s"=]/.test(safe) ? JSON.stringify(safe) : safe
}

export function createLogger(
  level: Level = (process.env.PORTCULLIS_LOG_LEVEL as Level | undefined) ?? 'info',
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Logger {
  const min = ORDER[level] ?? ORDER.info
  const emit =
    (lvl: Level) =>
    (event: string, fields: Record<string, unknown> = {}) => {
      if (ORDER[lvl] < min) return
      let line = `${lvl} ${event}`
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${format(v)}`
      write(line)
    }
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') }
}
