import { permissionMatrix } from './permission-matrix.cases.js'

permissionMatrix('isolated')
