/** The JSON Schema keyword table lives in core (the extension check walks schemas too). */
export {
  childSchemas,
  isSchemaObject,
  LIST,
  MAP,
  ONE,
  type SchemaObject,
} from '../../core/policy/schema-keywords.js'
