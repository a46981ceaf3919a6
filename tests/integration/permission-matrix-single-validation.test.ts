import { permissionMatrix } from './permission-matrix.cases.js'

permissionMatrix('single-validation')
