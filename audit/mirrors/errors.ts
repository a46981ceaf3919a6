/**
 * Failures of the mirrors' setup, each with a stable code. Once running, a mirror never
 * throws: delivery failures are counted in its stats and reported through `onError`.
 */
export const MIRROR_ERROR_CODES = ['MIRROR_OPTIONS_INVALID'] as const
export type MirrorErrorCode = (typeof MIRROR_ERROR_CODES)[number]

export class MirrorError extends Error {
  constructor(
    readonly code: MirrorErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'MirrorError'
  }
}
