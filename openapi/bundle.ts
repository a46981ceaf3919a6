/**
 * One self-contained document from a root document and the files its `$ref`s name. The walk
 * knows OpenAPI's structure (core/policy/openapi-structure.ts, the table core's extension
 * check walks too) and JSON Schema's
 * subschema keywords, so it knows what each reference stands for:
 *
 * - a path item (under `paths`, `webhooks`, a callback, `components.pathItems`): inlined,
 *   since the route table reads path items in place;
 * - a schema: `#/components/schemas/<Name>` (or a pointer below one of the root document's
 *   own components), the target copied in as a component when it is anywhere else;
 * - a parameter, response, request body, header, example, link, callback or security
 *   scheme: kept when it points into the root document, otherwise copied into
 *   `components.<section>` the same way.
 *
 * A copied target gets the name its pointer ends with (`common.yaml#/components/schemas/Pet`
 * is `Pet`) or its file's (`schemas/Pet.yaml` is `Pet`). Names several targets want, or
 * the root document already has, go to none of them: each is named by its path below the
 * root document's folder (`v2_schemas_Pet`), then numbered (`-2`) in path order. So a name
 * depends on the set of files, not on the order they are met. A root component that is only
 * a reference to another file (`Pet: { $ref: schemas/Pet.yaml }`) becomes that target.
 *
 * Everything that is not one of these positions is data (`example`, `default`, `enum`,
 * `x-*`...): copied as it is, its `$ref` keys included. A `$ref` where OpenAPI allows none
 * (an operation, a media type) stops the load, as does a `$ref` whose target does not exist.
 */
import { relative } from 'node:path'
import {
  OPENAPI_CHILDREN,
  OPERATION_KEYS,
  type OpenApiKind,
} from '../core/policy/openapi-structure.js'
import { LIST, MAP, ONE } from '../core/policy/schema-keywords.js'
import { FileStore, OpenApiError, parseRef, pointerOf, type Place } from './refs.js'
import { isObject } from '../core/index.js'

/** An OpenAPI object of one kind (core's structure table), or data copied as it is. */
type Kind = OpenApiKind | 'data'
type Child = Kind | { list: Kind } | { map: Kind }

const CHILDREN: Partial<Record<Kind, Record<string, Child>>> = OPENAPI_CHILDREN

/** The components section of each kind a reference may stand for (path items are inlined). */
const SECTION: Partial<Record<Kind, string>> = {
  schema: 'schemas',
  parameter: 'parameters',
  response: 'responses',
  'request body': 'requestBodies',
  header: 'headers',
  example: 'examples',
  link: 'links',
  callback: 'callbacks',
  'security scheme': 'securitySchemes',
}
const SECTION_ORDER = Object.values(SECTION) as string[]

/** How many references one reference may pass through to reach its target. */
const MAX_HOPS = 64

/** Sets a key as an own property, `__proto__` included. */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
}

function copyData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyData)
  if (!isObject(value)) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) put(out, k, copyData(v))
  return out
}

function child(place: Place, key: string | number): Place {
  return { file: place.file, tokens: [...place.tokens, String(key)] }
}

/** A target copied into the components, named once every target is known. */
interface Unit {
  section: string
  place: Place
  /** The root component this target is (a root component that only references it). */
  fixedName?: string
  name?: string
  value?: unknown
}

export interface Bundled {
  document: Record<string, unknown>
}

/** A component name: OpenAPI's `^[a-zA-Z0-9._-]+$`. */
function sanitize(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_')
  return s === '' ? '_' : s
}

export function bundle(store: FileStore): Bundled {
  const root = store.root
  const units = new Map<string, Unit>()
  /** Path items being inlined (cycle check). */
  const inlining = new Set<string>()
  /** What to write once every unit has its name. */
  const patches: Array<() => void> = []

  /**
   * The place a reference leads to. A pointer that passes through another reference on its
   * way (`#/components/schemas/Pet/properties/id` where `Pet` is `{ $ref: Pet.yaml }`)
   * continues at that reference's target, so the place returned holds the node itself.
   */
  const locate = (target: Place, via: Place, hops = 0): { place: Place; node: unknown } => {
    if (hops > MAX_HOPS) throw OpenApiError.at(via, 'references form a loop')
    let node = store.read(target.file, via)
    let file = target.file
    let at: string[] = []
    for (let i = 0; i < target.tokens.length; i++) {
      const token = target.tokens[i]!
      if (isObject(node) && Object.hasOwn(node, token)) {
        node = node[token]
        at.push(token)
      } else if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(token) && +token < node.length) {
        node = node[+token]
        at.push(token)
      } else if (isObject(node) && typeof node.$ref === 'string') {
        const next = locate(parseRef(node.$ref, { file, tokens: at }), via, hops + 1)
        node = next.node
        file = next.place.file
        at = [...next.place.tokens]
        i--
      } else {
        throw OpenApiError.at(
          via,
          `$ref target ${shownPlace(target)} does not exist (no ${JSON.stringify(token)} at ${pointerOf(at) || '/'})`,
        )
      }
    }
    return { place: { file, tokens: at }, node }
  }

  const shownPlace = (place: Place): string =>
    `${place.file === root ? '' : relative(store.boundary, place.file)}#${pointerOf(place.tokens)}`

  /** The unit of `target` in `section`, copied in (walked as `kind`) when first asked for. */
  const unitOf = (section: string, kind: Kind, target: { place: Place; node: unknown }): Unit => {
    const key = `${section}|${target.place.file}#${pointerOf(target.place.tokens)}`
    let unit = units.get(key)
    if (!unit) {
      unit = { section, place: target.place }
      units.set(key, unit)
      // Registered before the walk: a target that refers back to itself meets its own unit.
      unit.value = emit(target.node, kind, target.place)
    }
    return unit
  }

  /**
   * What a reference of `kind` becomes: a local pointer (kept) or a unit's name (patched in
   * later through `write`).
   */
  const reference = (ref: string, kind: Kind, at: Place, write: (ref: string) => void): void => {
    const target = locate(parseRef(ref, at), at)
    const { file, tokens } = target.place
    const local =
      file === root &&
      (kind !== 'schema' ||
        (tokens[0] === 'components' && tokens[1] === 'schemas' && tokens.length > 2))
    if (local) return write(`#${pointerOf(tokens)}`)
    const section = SECTION[kind]!
    // A target below another file's component is copied as that component, and pointed into.
    const below = tokens[0] === 'components' && tokens[1] === section && tokens.length > 3
    const unit = below
      ? unitOf(section, kind, locate({ file, tokens: tokens.slice(0, 3) }, at))
      : unitOf(section, kind, target)
    const rest = below ? pointerOf(tokens.slice(3)) : ''
    patches.push(() => write(`#/components/${section}/${unit.name!}${rest}`))
  }

  const emit = (node: unknown, kind: Kind, at: Place): unknown => {
    // Objects the gateway reads nothing from (info, servers, tags...) are data too.
    if (kind === 'data' || kind === 'other object' || !isObject(node)) return copyData(node)
    if (kind === 'schema') return emitSchema(node, at)
    if (Object.hasOwn(node, '$ref')) {
      if (kind === 'path item') return inlinePathItem(node, at)
      if (SECTION[kind] === undefined) {
        throw OpenApiError.at(at, `a $ref is not allowed in ${article(kind)}`)
      }
      if (typeof node.$ref !== 'string')
        throw OpenApiError.at(child(at, '$ref'), 'must be a string')
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(node)) put(out, k, copyData(v))
      reference(node.$ref, kind, at, (ref) => (out.$ref = ref))
      return out
    }
    const children = CHILDREN[kind] ?? {}
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node)) {
      const here = child(at, key)
      let c: Child = 'data'
      if (key.startsWith('x-')) c = 'data'
      else if (kind === 'paths') c = key.startsWith('/') ? 'path item' : 'data'
      else if (kind === 'path item' && OPERATION_KEYS.includes(key)) c = 'operation'
      else if (kind === 'responses') c = 'response'
      else if (kind === 'callback') c = 'path item'
      else if (Object.hasOwn(children, key)) c = children[key]!
      put(out, key, emitChild(value, c, here))
    }
    return out
  }

  const emitChild = (value: unknown, c: Child, at: Place): unknown => {
    if (typeof c === 'string') return emit(value, c, at)
    if ('list' in c) {
      if (!Array.isArray(value)) return copyData(value)
      return value.map((v, i) => emit(v, c.list, child(at, i)))
    }
    if (!isObject(value)) return copyData(value)
    // A map's keys are names (a component may be called `x-anything`), never extensions.
    const out: Record<string, unknown> = {}
    for (const [name, v] of Object.entries(value)) put(out, name, emit(v, c.map, child(at, name)))
    return out
  }

  const emitSchema = (node: Record<string, unknown>, at: Place): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node)) {
      const here = child(at, key)
      if (key === '$ref') {
        if (typeof value !== 'string') throw OpenApiError.at(here, 'must be a string')
        put(out, key, value)
        reference(value, 'schema', at, (ref) => (out.$ref = ref))
      } else if (key === '$id') {
        throw OpenApiError.at(
          here,
          '$id is not supported: it changes what the references below it resolve against',
        )
      } else if (key.startsWith('x-')) {
        put(out, key, copyData(value))
      } else if (ONE.has(key) || LIST.has(key)) {
        // `items` as a list is the draft-04 tuple form OpenAPI 3.0 tools still write.
        put(
          out,
          key,
          Array.isArray(value)
            ? value.map((v, i) => emit(v, 'schema', child(here, i)))
            : emit(value, LIST.has(key) ? 'data' : 'schema', here),
        )
      } else if (MAP.has(key) && isObject(value)) {
        const m: Record<string, unknown> = {}
        for (const [name, s] of Object.entries(value))
          put(m, name, emit(s, 'schema', child(here, name)))
        put(out, key, m)
      } else if (key === 'discriminator' && isObject(value) && isObject(value.mapping)) {
        put(out, key, emitDiscriminator(value, here))
      } else {
        put(out, key, copyData(value))
      }
    }
    return out
  }

  /** Mapping values that are references (not schema names) point at components too. */
  const emitDiscriminator = (
    value: Record<string, unknown>,
    at: Place,
  ): Record<string, unknown> => {
    const out = copyData(value) as Record<string, unknown>
    const mapping = out.mapping as Record<string, unknown>
    for (const [name, target] of Object.entries(mapping)) {
      if (typeof target !== 'string' || !/[#/]|\.(ya?ml|json)$/i.test(target)) continue
      reference(target, 'schema', child(child(at, 'mapping'), name), (ref) =>
        put(mapping, name, ref),
      )
    }
    return out
  }

  /** A path item reference, replaced by the path item (with the keys beside the `$ref`). */
  const inlinePathItem = (node: Record<string, unknown>, at: Place): Record<string, unknown> => {
    if (typeof node.$ref !== 'string') throw OpenApiError.at(child(at, '$ref'), 'must be a string')
    const target = locate(parseRef(node.$ref, at), at)
    const key = `${target.place.file}#${pointerOf(target.place.tokens)}`
    if (inlining.has(key)) throw OpenApiError.at(at, 'path item references form a cycle')
    inlining.add(key)
    const item = emit(target.node, 'path item', target.place)
    inlining.delete(key)
    if (!isObject(item))
      throw OpenApiError.at(at, `$ref target ${shownPlace(target.place)} is not a path item`)
    const { $ref: _, ...siblings } = node
    const beside = emit(siblings, 'path item', at) as Record<string, unknown>
    for (const [k, v] of Object.entries(beside)) {
      if (Object.hasOwn(item, k)) {
        throw OpenApiError.at(child(at, k), 'is given both beside the $ref and in its target')
      }
      put(item, k, v)
    }
    return item
  }

  // The root document. Its components go first, so that a root component that only refers to
  // another file is known to be that target before any other reference meets it.
  const doc = store.read(root)
  if (!isObject(doc)) {
    throw new OpenApiError(root, '', 'is not an OpenAPI document (not a mapping)')
  }
  const rootAt: Place = { file: root, tokens: [] }
  const components = isObject(doc.components) ? doc.components : {}
  const aliases = new Map<Unit, string>()
  for (const [section, entries] of Object.entries(components)) {
    const kind = sectionKind(section)
    if (!kind || !isObject(entries)) continue
    for (const [name, value] of Object.entries(entries)) {
      if (!isObject(value) || Object.keys(value).length !== 1 || typeof value.$ref !== 'string') {
        continue
      }
      const at: Place = { file: root, tokens: ['components', section, name] }
      const target = locate(parseRef(value.$ref, at), at)
      if (target.place.file === root) continue
      const unit = unitOf(section, kind, target)
      if (unit.fixedName === undefined) {
        unit.fixedName = name
        aliases.set(unit, name)
      }
    }
  }
  const out = emit(doc, 'document', rootAt) as Record<string, unknown>

  // Names: the root's own component names are taken; then each unit its own.
  const bySection = new Map<string, Unit[]>()
  for (const unit of units.values()) {
    bySection.set(unit.section, [...(bySection.get(unit.section) ?? []), unit])
  }
  const outComponents = (isObject(out.components) ? out.components : {}) as Record<string, unknown>
  for (const [section, list] of bySection) {
    const own = isObject(outComponents[section]) ? (outComponents[section] as object) : {}
    const taken = new Set(Object.keys(own))
    for (const unit of list) if (unit.fixedName !== undefined) unit.name = unit.fixedName
    const open = list
      .filter((u) => u.name === undefined)
      .map((u) => ({
        unit: u,
        path: relative(store.boundary, u.place.file),
        pointer: pointerOf(u.place.tokens),
      }))
      .sort((a, b) => (a.path === b.path ? cmp(a.pointer, b.pointer) : cmp(a.path, b.path)))
    const preferred = (u: Unit) =>
      sanitize(u.place.tokens.at(-1) ?? baseName(relative(store.boundary, u.place.file)))
    const wanted = new Map<string, number>()
    for (const { unit } of open) wanted.set(preferred(unit), (wanted.get(preferred(unit)) ?? 0) + 1)
    for (const { unit } of open) {
      const name = preferred(unit)
      if (wanted.get(name) === 1 && !taken.has(name)) {
        unit.name = name
        taken.add(name)
      }
    }
    for (const { unit, path } of open) {
      if (unit.name !== undefined) continue
      const last = unit.place.tokens.at(-1)
      const base = sanitize(
        stripExtension(path).replaceAll('/', '_') + (last === undefined ? '' : `_${last}`),
      )
      let name = base
      for (let n = 2; taken.has(name); n++) name = `${base}-${n}`
      unit.name = name
      taken.add(name)
    }
  }
  for (const patch of patches) patch()

  // The copied targets, after the root's own components, each section in name order.
  if (units.size > 0) {
    const merged: Record<string, unknown> = { ...outComponents }
    const sections = [...bySection.keys()].sort(
      (a, b) => SECTION_ORDER.indexOf(a) - SECTION_ORDER.indexOf(b),
    )
    for (const section of sections) {
      const own = isObject(merged[section]) ? (merged[section] as Record<string, unknown>) : {}
      const added = bySection
        .get(section)!
        .filter((u) => u.fixedName === undefined || aliases.get(u) === u.fixedName)
        .sort((a, b) => cmp(a.name!, b.name!))
      const next: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(own)) {
        const alias = added.find((u) => u.fixedName === k)
        put(next, k, alias ? alias.value : v)
      }
      for (const unit of added) if (unit.fixedName === undefined) put(next, unit.name!, unit.value)
      merged[section] = next
    }
    out.components = merged
  }
  return { document: out }
}

function sectionKind(section: string): Kind | undefined {
  for (const [kind, s] of Object.entries(SECTION)) if (s === section) return kind as Kind
  return undefined
}

function article(kind: Kind): string {
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function stripExtension(path: string): string {
  return path.replace(/\.(ya?ml|json)$/i, '')
}

function baseName(path: string): string {
  return stripExtension(path.split('/').at(-1) ?? path)
}
