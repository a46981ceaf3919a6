export * from './event.js'
