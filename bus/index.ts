export * from './connect.js'
export * from './stage.js'
