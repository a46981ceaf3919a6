import { requestPathSuite } from './request-path.cases.js'

// The isolated topology with every bus (the link too) a three-node nats-server cluster and
// R3 streams: the same cases, the same answers.
requestPathSuite('isolated', { nodes: 3 })
