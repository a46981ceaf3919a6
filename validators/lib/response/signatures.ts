/**
 * What a leak looks like: one table of RE2 patterns, each with a stable id
 * (`<family>/<name>`) that an operator can allow per route or for every route. The patterns
 * run over text an upstream wrote, so they are RE2 (re2js): linear in the text, no
 * backtracking, no lookaround. Where a pattern needs context (an address that is part of a
 * longer dotted number, a path inside a URL) the context is spelled as a character class
 * around the match instead. No counted repetition beyond a few characters (`{1,300}`): each
 * one multiplies the states of the set's DFA, and a set that keeps building states runs a
 * hundred times slower on text built to exercise it.
 */

export const LEAK_FAMILIES = [
  'stack-trace',
  'sql-error',
  'internal-address',
  'file-path',
  'private-key',
  'token',
  'credential',
  'cloud-key',
] as const
export type LeakFamily = (typeof LEAK_FAMILIES)[number]

export interface LeakSignature {
  /** `<family>/<name>`, stable: allow lists and log lines name it. */
  id: string
  family: LeakFamily
  /** RE2 syntax. */
  pattern: string
}

/** One IPv4 octet, 0-255, without leading zeros. */
const O = String.raw`(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])`
/** Not the tail of a longer dotted number, a word, or a version (`v10.0.0.1`). */
const V4_BEFORE = String.raw`(?:^|[^0-9A-Za-z_.])`
/** Not followed by more digits or dots and digits, a word, or a version tag (`-beta`). */
const V4_AFTER = String.raw`(?:$|[^0-9A-Za-z_.\-]|\.(?:$|[^0-9])|-(?:$|[^A-Za-z]))`
const V6_BEFORE = String.raw`(?:^|[^0-9A-Za-z_:.])`
const V6_AFTER = String.raw`(?:$|[^0-9A-Za-z_:])`
/** A location in a Node stack frame: `/srv/app.js:10:5`, `node:internal/x:1:2`, `C:\a.js:1:2`. */
const NODE_LOCATION = String.raw`(?:file:///?|node:)?(?:[A-Za-z]:)?[^\s():]*[A-Za-z][^\s():]*:[0-9]+:[0-9]+`
/** Not inside a URL or a longer path: `example.com/var/x` is a link, `/var/x` a file. */
const PATH_BEFORE = String.raw`(?:^|[^A-Za-z0-9_.~/%\-])`

const sig = (family: LeakFamily, name: string, ...alternatives: string[]): LeakSignature => ({
  id: `${family}/${name}`,
  family,
  pattern:
    alternatives.length === 1 ? alternatives[0]! : alternatives.map((a) => `(?:${a})`).join('|'),
})

export const LEAK_SIGNATURES: readonly LeakSignature[] = [
  // Stack traces
  sig('stack-trace', 'node', String.raw`(?:^|\s)at (?:async )?(?:[^\n()]+ \()?${NODE_LOCATION}\)?`),
  sig(
    'stack-trace',
    'java',
    String.raw`(?:^|\s)at [\w$]+(?:[./][\w$<>\-]+)+\((?:[\w$\-]+\.(?:java|kt|scala|groovy|clj):[0-9]+|Native Method|Unknown Source)\)`,
    String.raw`Exception in thread "[^"\n]*" `,
    String.raw`(?:^|\s)Caused by: [\w$.]+(?:Exception|Error)\b`,
    String.raw`\b(?:java|javax|jakarta|org\.springframework|org\.hibernate)\.[\w$.]*\.[A-Z][\w$]*(?:Exception|Error)\b`,
  ),
  sig(
    'stack-trace',
    'python',
    String.raw`Traceback \(most recent call last\)`,
    String.raw`(?:^|\s)File "[^"\n]+", line [0-9]+`,
  ),
  sig(
    'stack-trace',
    'go',
    String.raw`\bgoroutine [0-9]+ \[[^\]\n]+\]:`,
    String.raw`\.go:[0-9]+ \+0x[0-9a-fA-F]+`,
  ),
  sig(
    'stack-trace',
    'dotnet',
    String.raw`(?:^|\s)at (?:[\w<>\x60\[\],]+\.)+[\w<>\x60]+\([^()\n]*\) in [^\n]+:line [0-9]+`,
    String.raw`(?m)^[ \t]+at (?:[\w<>\x60\[\]]+\.)+[\w<>\x60\[\]]+\([^()\n]*\)[ \t]*$`,
    String.raw`--- End of (?:inner exception )?stack trace`,
    String.raw`\bSystem\.(?:[A-Z]\w*\.)*[A-Z]\w*Exception\b`,
  ),
  sig(
    'stack-trace',
    'php',
    String.raw`(?m)^#[0-9]+ (?:\{main\}|[^\n]*\.php\([0-9]+\))`,
    String.raw`\bPHP (?:Fatal|Parse|Warning|Notice) error\b`,
    String.raw` in [^\s]+\.php on line [0-9]+`,
  ),
  sig('stack-trace', 'ruby', String.raw`\.rb:[0-9]+:in [\x60']`),

  // SQL error text
  sig(
    'sql-error',
    'postgres',
    String.raw`\bsyntax error at or near "`,
    String.raw`\brelation "[^"\n]+" does not exist`,
    String.raw`\bcolumn "[^"\n]+" (?:of relation "[^"\n]+" )?does not exist`,
    String.raw`\bduplicate key value violates unique constraint`,
    String.raw`\binvalid input syntax for (?:type|integer)`,
    String.raw`\bcurrent transaction is aborted, commands ignored`,
    String.raw`\bunterminated quoted string at or near`,
    String.raw`\b(?:PSQLException|PG::[A-Z]\w+|psycopg2?\.(?:errors\.\w+|[A-Z]\w*Error)|PostgresError)\b`,
  ),
  sig(
    'sql-error',
    'mysql',
    String.raw`You have an error in your SQL syntax`,
    String.raw`(?i)check the manual that (?:corresponds|fits) to your (?:MySQL|MariaDB) server version`,
    String.raw`\bER_(?:PARSE_ERROR|DUP_ENTRY|NO_SUCH_TABLE|BAD_FIELD_ERROR|ACCESS_DENIED_ERROR|BAD_DB_ERROR|SYNTAX_ERROR|WRONG_VALUE_COUNT\w*)\b`,
    String.raw`Unknown column '[^'\n]+' in '`,
    String.raw`Duplicate entry '[^'\n]*' for key`,
    String.raw`Table '[^'\n]+' doesn't exist`,
    String.raw`\b(?:MySQLSyntaxErrorException|com\.mysql\.(?:cj\.)?jdbc|SQLSTATE\[[0-9A-Z]{5}\])`,
    String.raw`\bmysqli?_(?:query|connect|fetch_\w+|num_rows)\(`,
  ),
  sig(
    'sql-error',
    'oracle',
    String.raw`\b(?:ORA|PLS|TNS)-[0-9]{5}\b`,
    String.raw`\boracle\.jdbc\b`,
    String.raw`quoted string not properly terminated`,
  ),
  sig(
    'sql-error',
    'sqlite',
    String.raw`\bSQLITE_(?:ERROR|CONSTRAINT|BUSY|LOCKED|READONLY|CANTOPEN|CORRUPT|MISMATCH|IOERR)\b`,
    String.raw`\bsqlite3\.(?:OperationalError|IntegrityError|DatabaseError|ProgrammingError)\b`,
    String.raw`\bSQLiteException\b`,
    String.raw`\bno such (?:table|column): `,
    String.raw`near "[^"\n]+": syntax error`,
  ),
  sig(
    'sql-error',
    'mssql',
    String.raw`Unclosed quotation mark after the character string`,
    String.raw`Incorrect syntax near '`,
    String.raw`\bMsg [0-9]+, Level [0-9]+, State [0-9]+`,
    String.raw`\b(?:System|Microsoft)\.Data\.SqlClient\.SqlException\b`,
    String.raw`\[Microsoft\]\[(?:ODBC|SQL Server)[^\]\n]*\]`,
    String.raw`Conversion failed when converting (?:the )?[\w ]+ value`,
  ),
  sig(
    'sql-error',
    'driver',
    String.raw`\bSQLSTATE\b`,
    String.raw`\b(?:SequelizeDatabaseError|QueryFailedError|PrismaClient\w*Error|JDBCException|SQLSyntaxErrorException|SQLException)\b`,
  ),

  // Internal addresses
  sig(
    'internal-address',
    'ipv4',
    `${V4_BEFORE}(?:10\\.${O}|172\\.(?:1[6-9]|2[0-9]|3[01])|192\\.168|127\\.${O}|169\\.254)\\.${O}\\.${O}${V4_AFTER}`,
  ),
  sig(
    'internal-address',
    'ipv6',
    // loopback, link-local fe80::/10, unique local fc00::/7
    `${V6_BEFORE}(?:::1|0:0:0:0:0:0:0:1)${V6_AFTER}`,
    `(?i)${V6_BEFORE}f(?:e[89ab]|[cd][0-9a-f])[0-9a-f](?::[0-9a-f]{0,4}){2,7}(?:%[0-9a-z]+)?${V6_AFTER}`,
  ),
  sig(
    'internal-address',
    'hostname',
    String.raw`(?i)\b[a-z][a-z0-9+.\-]*://(?:[^\s/@"']+@)?(?:localhost|[a-z0-9.\-]+\.(?:internal|local|localdomain|lan|corp|intranet|cluster\.local))(?:[:/?#"'\s]|$)`,
  ),

  // File paths
  sig(
    'file-path',
    'unix',
    `${PATH_BEFORE}/(?:home|Users|root|var|usr|etc|opt|srv|proc|mnt|tmp|private/var)/[A-Za-z0-9._@+\\-]+`,
  ),
  sig(
    'file-path',
    'windows',
    String.raw`(?:^|[^A-Za-z0-9_])[A-Za-z]:\\[^\\/:*?"<>|\s]+`,
    String.raw`(?:^|[^\\])\\\\[A-Za-z0-9._\-]+\\[A-Za-z0-9$._\-]+`,
  ),
  sig('file-path', 'file-url', String.raw`(?i)\bfile:///?[A-Za-z/]`),

  // Private keys
  sig(
    'private-key',
    'pem',
    String.raw`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`,
    String.raw`PuTTY-User-Key-File-[0-9]+:`,
  ),

  // Tokens
  sig('token', 'jwt', String.raw`\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*`),
  sig('token', 'bearer', String.raw`(?i)\bbearer[ \t]+[A-Za-z0-9._~+/\-]{20,}=*`),
  sig('token', 'basic', String.raw`(?i)\bauthorization:[ \t]*basic[ \t]+[A-Za-z0-9+/]{8,}={0,2}`),

  // Credentials
  sig(
    'credential',
    'url-password',
    String.raw`(?i)\b[a-z][a-z0-9+.\-]+://[^\s:/?#@"'<>]+:[^\s/?#@"'<>]+@`,
  ),

  // Cloud and service keys
  sig('cloud-key', 'aws-access-key', String.raw`\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b`),
  sig(
    'cloud-key',
    'aws-secret-key',
    String.raw`(?i)aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}`,
  ),
  sig(
    'cloud-key',
    'gcp',
    String.raw`(?i)private_key_id["']?\s*[:=]\s*["']?[0-9a-f]{40}`,
    String.raw`\bAIza[0-9A-Za-z_\-]{35}\b`,
  ),
  sig(
    'cloud-key',
    'azure',
    String.raw`(?i)\b(?:AccountKey|SharedAccessKey)\s*[=:]\s*[A-Za-z0-9+/]{20,}={0,2}`,
    String.raw`(?i)[?&]sig=[A-Za-z0-9%+/]{30,}`,
  ),
  sig(
    'cloud-key',
    'github',
    String.raw`\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b`,
    String.raw`\bgithub_pat_[A-Za-z0-9_]{60,}\b`,
  ),
  sig(
    'cloud-key',
    'slack',
    String.raw`\bxox[abposr]-[A-Za-z0-9\-]{10,}`,
    String.raw`https://hooks\.slack\.com/services/[A-Za-z0-9/]{10,}`,
  ),
  sig('cloud-key', 'stripe', String.raw`\b[rs]k_live_[0-9A-Za-z]{20,}\b`),
]
