/**
 * The fields of a `start-failed` or `reload-refused` line. A setup error gives its stable
 * code, the config key and file at fault and what to do beside its message (`portcullis up`
 * reads the code back from the line: cli/processes.ts); anything else gives its reason only.
 */
import { failureReason, SetupError } from '../core/index.js'

export interface SetupFailureFields {
  code?: string
  key?: string
  file?: string
  reason: string
  action?: string
}

export function setupFailureFields(e: unknown): SetupFailureFields {
  if (!(e instanceof SetupError)) return { reason: failureReason(e) }
  return {
    code: e.code,
    // `''` is the config file as a whole: no key to name.
    ...(e.key ? { key: e.key } : {}),
    ...(e.file === undefined ? {} : { file: e.file }),
    reason: e.message,
    action: e.action,
  }
}
