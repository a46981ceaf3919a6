export * from './log.js'
export * from './main.js'
export * from './args.js'
export * from './ports.js'
