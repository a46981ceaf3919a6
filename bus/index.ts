export * from './connect.js'
export * from './stage.js'
export * from './component.js'
export * from './audit.js'
