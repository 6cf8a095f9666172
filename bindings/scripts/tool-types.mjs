// `npm run build:ts` (before tsc): writes bindings/src/tool-data.ts, the TypeScript type of every
// agent tool's `data`, from the one source of it: the output schema the Rust core generates for the
// tool (`toolDefinitions()[i].outputSchema`, JSON Schema draft 2020-12, read from the built addon).
// Nothing of a result's shape is written by hand; json-schema-to-typescript turns the schema into
// types. The same addon gives the same bytes: the tools in the registry's order, no timestamps.
//
// Per tool: the `data` of the success branch (`success: { const: true }`), its `$ref`s inlined from
// that tool's own `$defs` (the def names, `Capped2` and the like, differ between tools and mean
// nothing to a reader), `title`s dropped (no stray named types), one type per tool named after it
// (`get_payment_history` → `GetPaymentHistoryData`), and `ToolData` keyed by every tool name.
//
// Two choices:
// - The core's result structs serialize exactly their fields, but schemars writes
//   `additionalProperties: false` only for the few that refuse unknown fields when parsing; an
//   object without the keyword is read here as closed (no `[k: string]: unknown`), so a field
//   the core never sends is a type error rather than `unknown`.
// - Each tool's type is a type alias of an object type, not an interface: an interface has no
//   implicit index signature, so `ToolResult<GetPaymentHistoryData>` would not be assignable to
//   the plain `ToolResult` (`data: Record<string, unknown>`) code already annotates with.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const require = createRequire(resolve(root, 'package.json'))
const { compile } = require('json-schema-to-typescript')
const native = require('./bindings/native/index.js')
const out = resolve(root, 'bindings/src/tool-data.ts')

// Keywords whose value is a schema, an array of schemas, or a map of names to schemas; every other
// keyword's value is data (`const`, `enum`, `required`, `default`, …) and is copied as it is.
const SCHEMA = new Set(['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains'])
for (const k of ['propertyNames', 'unevaluatedItems', 'unevaluatedProperties']) SCHEMA.add(k)
const SCHEMA_LIST = new Set(['anyOf', 'oneOf', 'allOf', 'prefixItems'])
const SCHEMA_MAP = new Set(['properties', 'patternProperties', 'dependentSchemas'])

/** `schema` with every `$ref` replaced by the def of `defs` it names, and no `title`. */
function inline(schema, defs, tool, seen = []) {
  if (typeof schema === 'boolean') return schema
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new Error(`${tool}: not a schema: ${JSON.stringify(schema)}`)
  }
  if (schema.$ref !== undefined) {
    const name = /^#\/\$defs\/([^/]+)$/.exec(schema.$ref)?.[1]
    if (name === undefined || !Object.hasOwn(defs, name)) {
      throw new Error(`${tool}: cannot resolve $ref ${JSON.stringify(schema.$ref)}`)
    }
    if (seen.includes(name))
      throw new Error(`${tool}: recursive $ref ${seen.join(' → ')} → ${name}`)
    const { $ref, ...siblings } = schema
    // A sibling of `$ref` (a description of this use) wins over the def's own.
    return inline({ ...defs[name], ...siblings }, defs, tool, [...seen, name])
  }
  const result = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'title' || key === '$defs' || key === 'definitions' || key === '$schema') continue
    if (SCHEMA.has(key)) result[key] = inline(value, defs, tool, seen)
    else if (SCHEMA_LIST.has(key)) result[key] = value.map((s) => inline(s, defs, tool, seen))
    else if (SCHEMA_MAP.has(key)) {
      result[key] = Object.fromEntries(
        Object.entries(value).map(([k, s]) => [k, inline(s, defs, tool, seen)]),
      )
    } else result[key] = value
  }
  return result
}

/** The schema of `data` in the success branch of a tool's output schema. */
function dataSchema({ name, outputSchema }) {
  const branches = (outputSchema.oneOf ?? []).filter((b) => b.properties?.success?.const === true)
  const data = branches.length === 1 ? branches[0].properties.data : undefined
  if (data === undefined)
    throw new Error(`${name}: no success branch with \`data\` in outputSchema`)
  return inline(data, outputSchema.$defs ?? {}, name)
}

const typeName = (tool) => {
  if (!/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(tool)) throw new Error(`unexpected tool name ${tool}`)
  return `${tool.replace(/(?:^|_)([a-z0-9])/g, (_, c) => c.toUpperCase())}Data`
}

const definitions = native.toolDefinitions()
const properties = {}
for (const def of definitions) {
  const { description, ...data } = dataSchema(def)
  // `allOf` of one schema under the title: json-schema-to-typescript emits `export type X = {…}`
  // (with the description as its JSDoc) where a titled object would be an interface.
  properties[def.name] = {
    title: typeName(def.name),
    ...(description === undefined ? {} : { description }),
    allOf: [data],
  }
}
const schema = {
  title: 'ToolData',
  description: "Every tool's `data` (its result when `success` is true), keyed by tool name.",
  type: 'object',
  properties,
  required: definitions.map((d) => d.name),
  additionalProperties: false,
}

const banner = [
  '// Generated by bindings/scripts/tool-types.mjs from the output schemas the Rust core generates',
  "// (`toolDefinitions()[i].outputSchema`, each tool's `data`). Do not edit: `npm run build:ts`",
  '// regenerates it, and CI fails when the committed file differs from what the core generates.',
].join('\n')

const source = await compile(schema, 'ToolData', {
  bannerComment: banner,
  additionalProperties: false,
  unknownAny: true,
  format: true,
  // The repository's Biome style (biome.json), so `npm run format:check` passes on this file.
  style: {
    singleQuote: true,
    semi: false,
    printWidth: 100,
    trailingComma: 'all',
    tabWidth: 2,
    useTabs: false,
    endOfLine: 'lf',
  },
})

let before
try {
  before = readFileSync(out, 'utf8')
} catch {}
// Written only when it changed, so an unchanged build leaves the file (and its mtime) alone.
if (source !== before) writeFileSync(out, source)
