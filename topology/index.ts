export * from './describe.js'
