export * from './list.js'
