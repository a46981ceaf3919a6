export * from './is-object.js'
export * from './sha256.js'
