#!/usr/bin/env node
// The `portcullis` command: loads the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api'

register()
await import('./main.ts')
