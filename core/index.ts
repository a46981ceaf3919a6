export * from './errors/index.js'
export * from './envelope/index.js'
export * from './subjects/index.js'
export * from './policy/index.js'
