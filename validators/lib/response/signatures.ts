/**
 * What a leak looks like: one table of RE2 patterns, each with a stable id
 * (`<family>/<name>`) that an operator can allow per route or for every route. The patterns
 * run over text an upstream wrote, so they are RE2 (re2js): linear in the text, no
 * backtracking, no lookaround. Where a pattern needs context (an address that is part of a
 * longer dotted number, a path inside a URL) the context is spelled as a character class
 * around the match instead. No counted repetition beyond a few characters (`{1,300}`): each
 * one multiplies the states of the set's DFA, and a set that keeps building states runs a
 * hundred times slower on text built to exercise it. For the same reason a host name is
 * matched on a fixed-width context before its suffix (`[a-z0-9]\.internal`), not as a run of
 * labels from where it starts: runs that any word can enter multiply the DFA's states. The
 * cost of the set on 1 MB of random text is measured by LEAK-005 and kept in
 * validators/README.md ("Leak detection rates"), with the corpora the table is judged by.
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
/**
 * One part of an IPv4 address as resolvers read it (inet_aton, WHATWG URL): decimal, octal
 * with a leading zero (`0177`) or hex (`0x7f`). A decimal part stays 0-255, so `10.0.0.300`
 * is not an address.
 */
const AO = String.raw`(?:${O}|0[0-7]+|0[xX][0-9a-fA-F]+)`
/** A part of any size or base, for spellings that only ever appear as an address. */
const NUM = String.raw`(?:0[xX][0-9a-fA-F]*|[0-9]+)`
/** A part no canonical dotted-decimal address has: a leading zero or hex. */
const ODD = String.raw`(?:0[xX][0-9a-fA-F]*|0[0-9]+)`
/**
 * Octet `n` in decimal (leading zeros too: some parsers read `010` as 10, others as 8), octal
 * or hex.
 */
const spelled = (n: number): string => {
  const hex = [...n.toString(16)].map((c) => (/[a-f]/.test(c) ? `[${c}${c.toUpperCase()}]` : c))
  return `(?:0*${n}|0+${n.toString(8)}|0[xX]0*${hex.join('')})`
}
/** 16-31 (172.16/12), 64-127 (100.64/10) and 18-19 (198.18/15) in any base. */
const O16_31 = String.raw`(?:0*(?:1[6-9]|2[0-9]|3[01])|0+[23][0-7]|0[xX]0*1[0-9a-fA-F])`
const O64_127 = String.raw`(?:0*(?:6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])|0+1[0-7][0-7]|0[xX]0*[4-7][0-9a-fA-F])`
const O18_19 = String.raw`(?:0*1[89]|0+2[23]|0[xX]0*1[23])`
/**
 * The first two parts of a private, loopback, link-local or shared address: 10/8, 127/8,
 * 172.16/12, 192.168/16, 169.254/16, 100.64/10 (carrier-grade NAT), 198.18/15 (benchmarking,
 * used inside data centres).
 */
const PRIVATE_V4_HEAD = [
  `${spelled(10)}\\.${AO}`,
  `${spelled(127)}\\.${AO}`,
  `${spelled(172)}\\.${O16_31}`,
  `${spelled(192)}\\.${spelled(168)}`,
  `${spelled(169)}\\.${spelled(254)}`,
  `${spelled(100)}\\.${O64_127}`,
  `${spelled(198)}\\.${O18_19}`,
].join('|')

/**
 * Decimal numbers from `lo` to `hi` (as many digits each) as an alternation of digit classes,
 * no counted repetition: `decimalRange('120', '135')` is `12[0-9]`, `130`, `13[1-4]`, `135`.
 */
function decimalRange(lo: string, hi: string): string[] {
  const n = lo.length
  if (n === 0) return ['']
  if (lo === hi) return [lo]
  if (/^0*$/.test(lo) && /^9*$/.test(hi)) return ['[0-9]'.repeat(n)]
  if (lo[0] === hi[0]) return decimalRange(lo.slice(1), hi.slice(1)).map((s) => lo[0] + s)
  const out = decimalRange(lo.slice(1), '9'.repeat(n - 1)).map((s) => lo[0] + s)
  const a = Number(lo[0]) + 1
  const b = Number(hi[0]) - 1
  if (a <= b) out.push((a === b ? `${a}` : `[${a}-${b}]`) + '[0-9]'.repeat(n - 1))
  out.push(...decimalRange('0'.repeat(n - 1), hi.slice(1)).map((s) => hi[0] + s))
  return out
}
/** The same private ranges as one 32-bit decimal number (`2130706433` is 127.0.0.1). */
const PRIVATE_V4_DOTLESS = (
  [
    [10, 0, 8],
    [127, 0, 8],
    [172, 16, 12],
    [192, 168, 16],
    [169, 254, 16],
    [100, 64, 10],
    [198, 18, 15],
  ] as const
)
  .flatMap(([a, b, bits]) => {
    const lo = a * 2 ** 24 + b * 2 ** 16
    return decimalRange(String(lo), String(lo + 2 ** (32 - bits) - 1))
  })
  .join('|')

/** Not the tail of a longer dotted number, a word, or a version (`v10.0.0.1`). */
const V4_BEFORE = String.raw`(?:^|[^0-9A-Za-z_.])`
/** Not followed by more digits or dots and digits, a word, or a version tag (`-beta`). */
const V4_AFTER = String.raw`(?:$|[^0-9A-Za-z_.\-]|\.(?:$|[^0-9])|-(?:$|[^A-Za-z]))`
/** A port, not the start of a longer number or a decimal (`10.5:30.5`). */
const PORT = String.raw`:[0-9][0-9]+(?:$|[^0-9A-Za-z_.]|\.(?:$|[^0-9]))`
const V6_BEFORE = String.raw`(?:^|[^0-9A-Za-z_:.])`
const V6_AFTER = String.raw`(?:$|[^0-9A-Za-z_:])`
/** A URL up to its host: scheme, `//`, user information. */
const URL_HOST = String.raw`\b[A-Za-z][A-Za-z0-9+.\-]*://(?:[^\s/?#@"'<>]+@)?`
/** Where a URL's host ends. */
const HOST_END = String.raw`\.?(?:[:/?#\s"'<>\\]|$)`
/** A host name ends before none of its own characters; a full stop may end the sentence. */
const HOST_AFTER = String.raw`(?:$|[^A-Za-z0-9_\-.]|\.(?:$|[^A-Za-z0-9]))`
/**
 * Top-level names that never resolve on the public internet: RFC 6762 `.local`, RFC 8375
 * `home.arpa`, RFC 6761 `.localhost`, ICANN's private-use `.internal`, and the ones operators
 * use anyway (`.lan`, `.corp`, `.intranet`, `.localdomain`). Kubernetes' `.svc` counts only
 * after a namespace (`orders.default.svc`), so a public `Service1.svc` path is not one.
 */
const INTERNAL_TLD = String.raw`(?:internal|local|localdomain|localhost|lan|corp|intranet|home\.arpa)`
/** Ports of data stores, brokers and control planes: `redis:6379` names a host. */
const SERVICE_PORT = [
  '1433', // SQL Server
  '1521', // Oracle
  '2181', // ZooKeeper
  '2375',
  '2376', // Docker
  '2379',
  '2380', // etcd
  '3306', // MySQL
  '4222', // NATS
  '5432', // PostgreSQL
  '5672', // AMQP
  '5984', // CouchDB
  '6379',
  '6380', // Redis
  '6443', // Kubernetes API
  '7474',
  '7687', // Neo4j
  '8086', // InfluxDB
  '8200', // Vault
  '8500', // Consul
  '8983', // Solr
  '9042', // Cassandra
  '9092', // Kafka
  '9200',
  '9300', // Elasticsearch
  '10250', // kubelet
  '11211', // memcached
  '15672', // RabbitMQ management
  '26257', // CockroachDB
  '27017', // MongoDB
  '50051', // gRPC
].join('|')
/**
 * The usual second HTTP ports: a public URL carries them too (`https://cdn.example.com:8443`),
 * so beside them only a single label, not a dotted name, is an internal host.
 */
const HTTP_PORT = '(?:8080|8081|8443|9090)'
/** Schemes that name a data store or broker: the URI is a connection string. */
const STORE_SCHEME = String.raw`(?:amqps?|bolt|cassandra|clickhouse|cockroachdb|couchbases?|couchdb|elasticsearch|etcd|influxdb|kafka|mariadb|memcached?|mongodb(?:\+srv)?|mssql|mysqlx?|nats|neo4j(?:\+s|\+ssc)?|nfs|opensearch|oracle|postgres(?:ql)?|redis-sentinel|rediss?|smb|sqlite3?|sqlserver|zookeeper)`
/** Schemes whose host is a network host: a single label there is an internal one. */
const NET_SCHEME = String.raw`(?:https?|wss?|ftps?|sftp|ssh|tcp|udp|grpcs?|h2c|telnet|ldaps?|rtsp|gopher)`
/** A location in a stack frame: `/srv/app.js:10:5`, `node:internal/x:1:2`, `C:\a.js:1:2`,
 * `webpack-internal:///./src/a.ts:1:2`, `file:///app/main.ts:3:9`, `ext:core/01_core.js:1:2`. */
const NODE_LOCATION = String.raw`(?:[a-z][a-z0-9+.\-]*:/*)?(?:[A-Za-z]:)?[^\s():]*[A-Za-z][^\s():]*:[0-9]+:[0-9]+`
/** Not inside a URL or a longer path: `example.com/var/x` is a link, `/var/x` a file. */
const PATH_BEFORE = String.raw`(?:^|[^A-Za-z0-9_.~/%\-])`

/**
 * One pattern from a signature's alternatives. Those that open with a word boundary share it,
 * sorted so that RE2 factors their common prefixes: RE2 factors only inside one group, and
 * each branch the set's start state holds is work for every DFA state the scan builds.
 */
function alternation(alternatives: string[]): string {
  if (alternatives.length === 1) return alternatives[0]!
  const group = (xs: string[]) => [...xs].sort().map((a) => `(?:${a})`)
  const out: string[] = []
  let rest = alternatives
  for (const lead of ['(?i)\\b', '\\b']) {
    const led = rest.filter((a) => a.startsWith(lead))
    rest = rest.filter((a) => !a.startsWith(lead))
    if (led.length > 0)
      out.push(`${lead}(?:${group(led.map((a) => a.slice(lead.length))).join('|')})`)
  }
  return [...out, ...rest].map((a) => `(?:${a})`).join('|')
}

const sig = (family: LeakFamily, name: string, ...alternatives: string[]): LeakSignature => ({
  id: `${family}/${name}`,
  family,
  pattern: alternation(alternatives),
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
    String.raw`\b(?:django|sqlalchemy|werkzeug|flask|starlette|fastapi|pydantic_core|pymysql|pymongo|redis|requests|urllib3|aiohttp|httpx|botocore)\.(?:\w+\.)*[A-Z]\w*(?:Error|Exception)\b`,
  ),
  sig(
    'stack-trace',
    'go',
    String.raw`\bgoroutine [0-9]+ \[[^\]\n]+\]:`,
    String.raw`\.go:[0-9]+ \+0x[0-9a-fA-F]+`,
    String.raw`\bpanic: runtime error: `,
    String.raw`[A-Za-z0-9_\-]\.go:[0-9]+(?:$|[^0-9])`,
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
    String.raw` in [^\s]+\.php:[0-9]+`,
    String.raw`\.php\([0-9]+\): `,
    String.raw`\bStack trace:\s+#[0-9]`,
    String.raw`\bthrown in [^\s]+ on line [0-9]+`,
    String.raw`\bCall to (?:undefined (?:function|method)|a member function) [^\s]+\(\)`,
    String.raw`\b(?:Illuminate|Symfony\\Component|Doctrine\\DBAL|Laminas|Zend)\\[A-Z]\w*\\`,
  ),
  sig(
    'stack-trace',
    'ruby',
    String.raw`\.(?:rb|erb|rake|ru|haml|slim):[0-9]+:in [\x60']`,
    String.raw`\bErrno::E[A-Z]+\b`,
    String.raw`\bundefined (?:method|local variable or method) [\x60'][^\n'\x60]*' for `,
    String.raw`\b(?:ActiveRecord|ActionController|ActionView|ActionDispatch|ActiveModel|ActiveSupport)::[A-Z]\w*`,
  ),
  sig(
    'stack-trace',
    'rust',
    String.raw`\bthread '[^'\n]*' panicked at `,
    String.raw`\bRUST_BACKTRACE=`,
    String.raw`\bcalled \x60(?:Option|Result)::(?:unwrap|expect)(?:_err)?\(\)\x60 on `,
    String.raw`[A-Za-z0-9_\-]\.rs:[0-9]+:[0-9]+`,
  ),
  sig(
    'stack-trace',
    'beam',
    // Elixir and Erlang
    String.raw`\*\* \([A-Z][\w.]*(?:Error|Exception|Exit)\) `,
    String.raw`\((?:elixir|stdlib|kernel|ecto|phoenix|plug) [0-9][0-9.]*\) `,
    String.raw`[A-Za-z0-9_]\.exs?:[0-9]+: `,
  ),
  sig(
    'stack-trace',
    'bundler',
    // webpack, its dev-server eval frames, source-mapped TypeScript, Firefox/Safari frames,
    // the TypeScript compiler, Deno's uncaught rejections
    String.raw`\b(?:webpack(?:-internal)?|turbopack)://`,
    String.raw`\beval at [^\s()]+ \(`,
    String.raw`<anonymous>:[0-9]+:[0-9]+`,
    String.raw`[A-Za-z0-9_\-]\.(?:m?[jt]s|c[jt]s|[jt]sx|vue|svelte):[0-9]+:[0-9]+`,
    String.raw`\berror TS[0-9][0-9][0-9][0-9]:`,
    String.raw`\bUncaught \(in promise\)`,
  ),

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
    // a private address, each part in any base a resolver reads (`0177.0.0.1`, `0xa.0.0.1`)
    `${V4_BEFORE}(?:${PRIVATE_V4_HEAD})\\.${AO}\\.${AO}${V4_AFTER}`,
    // shortened (`127.1`, `10.1.2`) or dotless (`2130706433`, `0x7f000001`) beside a port
    `${V4_BEFORE}(?:${spelled(10)}|${spelled(127)})\\.${NUM}(?:\\.${NUM})?${PORT}`,
    `${V4_BEFORE}(?:${PRIVATE_V4_HEAD})\\.${NUM}${PORT}`,
    `${V4_BEFORE}(?:${PRIVATE_V4_DOTLESS}|0[xX][0-9a-fA-F]+)${PORT}`,
    // a URL host that is a number in any spelling but the canonical four decimal parts:
    // only an address hidden from a filter is written so
    `${URL_HOST}(?:${NUM}(?:\\.${NUM})?(?:\\.${NUM})?|${ODD}\\.${NUM}\\.${NUM}\\.${NUM}|${NUM}\\.${ODD}\\.${NUM}\\.${NUM}|${NUM}\\.${NUM}\\.${ODD}\\.${NUM}|${NUM}\\.${NUM}\\.${NUM}\\.${ODD})${HOST_END}`,
    // 0.0.0.0 as a listening address
    `${V4_BEFORE}0\\.0\\.0\\.0${PORT}`,
    `${URL_HOST}0\\.0\\.0\\.0${HOST_END}`,
  ),
  sig(
    'internal-address',
    'ipv6',
    // loopback, link-local fe80::/10, site-local fec0::/10, unique local fc00::/7
    `${V6_BEFORE}(?:::1|0:0:0:0:0:0:0:1|(?:0+:){7}0*1)${V6_AFTER}`,
    `(?i)${V6_BEFORE}f(?:e[89a-f]|[cd][0-9a-f])[0-9a-f](?::[0-9a-f]{0,4}){2,7}(?:%[0-9a-z]+)?${V6_AFTER}`,
    // an IPv4-mapped address written in hex (`::ffff:7f00:1`, `::ffff:c0a8:101`)
    `(?i)(?:::|(?:0+:){5})ffff:(?:0*a[0-9a-f][0-9a-f]|0*7f[0-9a-f][0-9a-f]|0*a|0*7f|ac1[0-9a-f]|c0a8|a9fe|64[4-7][0-9a-f]|c61[23]):[0-9a-f]+${V6_AFTER}`,
  ),
  sig(
    'internal-address',
    'hostname',
    // a URL whose host is localhost or under a name that is never public
    String.raw`(?i)${URL_HOST}(?:localhost|[a-z0-9.\-_]+\.(?:${INTERNAL_TLD}|svc|cluster\.local))${HOST_END}`,
    // a URL whose host is a single label, with a port or on a network scheme
    String.raw`(?i)${URL_HOST}[a-z0-9_\-]*[a-z][a-z0-9_\-]*:[0-9]+(?:[/?#\s"'<>\\]|$)`,
    String.raw`\b${NET_SCHEME}://(?:[^\s/?#@"'<>]+@)?[A-Za-z0-9_\-]*[A-Za-z][A-Za-z0-9_\-]*(?:[/?#\s"'<>\\]|$)`,
    // the same names without a scheme: `db.internal`, `orders.default.svc`, `localhost:5432`
    String.raw`[a-z0-9]\.${INTERNAL_TLD}${HOST_AFTER}`,
    String.raw`[a-z0-9]\.[a-z0-9_\-]+\.svc${HOST_AFTER}`,
    String.raw`(?i)\blocalhost:[0-9]+`,
    // any host beside the port of a data store or broker: `orders-db:5432`, `redis:6379`
    String.raw`[a-z_\-](?:[0-9][0-9]?)?:(?:${SERVICE_PORT})(?:$|[^0-9A-Za-z_])`,
    String.raw`(?:^|[\s"'(=,;])[a-z][a-z0-9_\-]*:${HTTP_PORT}(?:$|[^0-9A-Za-z_])`,
    // cloud names that spell a private address: `ip-10-0-1-23`
    String.raw`\bip-(?:10-[0-9]+|172-(?:1[6-9]|2[0-9]|3[01])|192-168)-[0-9]+-[0-9]+\b`,
  ),
  sig(
    'internal-address',
    'connection-error',
    // Node (`connect ECONNREFUSED`, `getaddrinfo ENOTFOUND`, `querySrv ESERVFAIL`, ...)
    String.raw`[a-z] E(?:ADDRINUSE|ADDRNOTAVAIL|AI_AGAIN|AI_FAIL|AI_NONAME|CONNABORTED|CONNREFUSED|CONNRESET|HOSTDOWN|HOSTUNREACH|NETDOWN|NETUNREACH|NODATA|NOTFOUND|REFUSED|SERVFAIL|TIMEDOUT)\b`,
    // Go
    String.raw`\bdial (?:tcp|udp|ip|unix)[46]?[ :]`,
    String.raw`\blookup [^\s]+ on [^\s]+: `,
    String.raw`\b(?:read|write) (?:tcp|udp)[46]? [^\s]+->`,
    // Rust, curl, PHP
    String.raw`\(os error [0-9]+\)`,
    String.raw`\btcp connect error\b`,
    String.raw`\berror trying to connect\b`,
    String.raw`\bFailed to connect to [^\s]+ port [0-9]+`,
    String.raw`\bCould not resolve host: `,
    String.raw`\bphp_network_getaddresses\b`,
    // Python
    String.raw`\[Errno -?[0-9]+\]`,
    String.raw`\bHTTPS?ConnectionPool\(host=`,
    String.raw`\bMax retries exceeded with url\b`,
    String.raw`\b(?:NewConnectionError|ConnectionRefusedError|ConnectionResetError|ConnectionAbortedError|ServerSelectionTimeoutError|AMQPConnectionError)\b`,
    String.raw`\bError -?[0-9]+ connecting to `,
    String.raw`\b(?:Name or service not known|Temporary failure in name resolution|nodename nor servname provided)\b`,
    // Ruby
    String.raw`\bconnect\(2\) for `,
    String.raw`\bFailed to open TCP connection to `,
    // PostgreSQL (libpq, JDBC), MySQL, Redis, MongoDB
    String.raw`\bcould not connect to server\b`,
    String.raw`\bconnection to server (?:at|on socket) "`,
    String.raw`\bIs the server running on host\b`,
    String.raw`\bcould not translate host name\b`,
    String.raw`\bConnection to [^\s]+ refused\b`,
    String.raw`\bCan't connect to (?:local )?MySQL server\b`,
    String.raw`\bCommunications link failure\b`,
    String.raw`\bUnknown MySQL server host\b`,
    String.raw`\bRedis connection to [^\s]+ failed\b`,
    String.raw`\bUnable to connect to [^\s]+:[0-9]+`,
    String.raw`\bMongo(?:Network|ServerSelection|Topology\w*)Error\b`,
    String.raw`\bfailed to connect to server \[`,
    // Java, .NET, Envoy
    String.raw`\b(?:UnknownHostException|AnnotatedConnectException|NoRouteToHostException)\b`,
    String.raw`\bConnection refused: [^\s]`,
    String.raw`\bactively refused it\b`,
    String.raw`\bNo such host is known\b`,
    String.raw`\bestablishing a connection to SQL Server\b`,
    String.raw`\bupstream connect error or disconnect/reset before headers\b`,
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

  // Connection strings (after the credential: a password in one is the worse leak)
  sig(
    'internal-address',
    'connection-uri',
    String.raw`\b(?:jdbc:[a-z][a-z0-9]*:|${STORE_SCHEME}://[^\s"'<>])`,
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
