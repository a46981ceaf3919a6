export * from './ports.js'
export * from './routes.js'
export * from './edge-policy.js'
export * from './headers.js'
