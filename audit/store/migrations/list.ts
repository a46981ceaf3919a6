/** The schema's migrations, in the order they apply. A new one takes the next version. */
import type { AuditBackend } from '../database.js'
import * as tables from './001-audit-tables.js'
import * as writerRole from './002-writer-role.js'

export interface Migration {
  version: number
  name: string
  sql: string
  /** The back-ends it applies to; absent: both. */
  backends?: readonly AuditBackend[]
}

export const MIGRATIONS: readonly Migration[] = [tables, writerRole]
