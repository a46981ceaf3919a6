/**
 * Every failure the gateway can report, with its one HTTP mapping.
 *
 * Stages raise `GatewayError` with a stable code; only the edge turns a code into a
 * client response (problem+json), through `problemFor`. The detailed reason travels to
 * logs and the audit trail, never to the client.
 */
export * from './setup.js'
export * from './table.js'
export * from './gateway-error.js'
export * from './problem.js'
export * from './reason.js'
