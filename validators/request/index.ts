export * from './handler.js'
export * from './start.js'
export * from './access-keys.js'
