export * from './pattern.js'
