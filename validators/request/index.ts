export * from './handler.js'
export * from './start.js'
