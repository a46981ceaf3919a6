export * from './description/index.js'
export * from './actions/index.js'
