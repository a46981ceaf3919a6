import { permissionMatrix } from './permission-matrix.cases.js'

// The isolated topology with every bus a three-node cluster: the same cells, the same
// answers, from whichever node each connection lands on.
permissionMatrix('isolated', { nodes: 3 })
