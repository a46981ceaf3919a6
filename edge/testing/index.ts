export * from './fixtures.js'
