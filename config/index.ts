export * from './types.js'
export * from './load.js'
export { configSchema } from './schema.js'
export { reloadableUpstreamOf, restartOnlyChanges, watchedFilesOf } from './reloadable.js'
