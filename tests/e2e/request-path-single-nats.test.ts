import { requestPathSuite } from './request-path.cases.js'

requestPathSuite('single-nats')
