export * from './user-creds.js'
