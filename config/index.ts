export * from './types.js'
export * from './load.js'
export { configSchema } from './schema.js'
export { restartOnlyChanges, watchedFilesOf } from './reloadable.js'
