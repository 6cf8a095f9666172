/**
 * `@support/stripe-connect/ai`: the agent tools for the AI SDK (`ai`, an optional peer
 * dependency; majors 6 and 7).
 *
 * ```ts
 * const tools = createSupportTools(stripe, { appSlugs: [conversation.appSlug] })
 * const { text } = await generateText({ model, tools, stopWhen: stepCountIs(5), prompt })
 * ```
 *
 * Each tool is `tool({ description, inputSchema: jsonSchema(…), execute })`. The arguments are
 * checked by the Rust core, not by the AI SDK: a model's mistake comes back to the model as a
 * `{ success: false, error }` result it can correct, instead of ending the generation.
 */
import type * as AiSdk from 'ai'
import type { Tool } from 'ai'
import native = require('../native/index.js')
import type { StripeConnect } from './client.js'
import { guard } from './errors.js'
import { requirePeer } from './peer.js'
import {
  toolDefinitions,
  type ToolDefinition,
  type ToolName,
  type ToolResult,
  type ToolScopeOptions,
} from './tools.js'

const ai = requirePeer<typeof AiSdk>('ai', 'ai', '@support/stripe-connect/ai')

export interface SupportToolsOptions extends ToolScopeOptions {
  /** Only these tools (default: all). */
  only?: readonly ToolName[]
}

/** The AI SDK tool of one definition. */
export type SupportTool = Tool<Record<string, unknown>, ToolResult>

/** An AI SDK `ToolSet`: pass it as `generateText({ tools })` / `streamText({ tools })`. */
export type SupportTools = Record<ToolName, SupportTool>

/**
 * The read-only tools, bound to `client` and to the apps in `options.appSlugs` (the model cannot
 * widen that). Throws `invalid_input` for a scope that is not a non-empty array of app slugs, before any model
 * runs.
 */
export function createSupportTools(
  client: StripeConnect,
  options: SupportToolsOptions,
): SupportTools {
  // The core checks the scope (an array of app slugs, at least one): `invalid_input` otherwise.
  const appSlugs = guard(() => native.toolScope(options?.appSlugs))
  const wanted = options.only ? new Set<string>(options.only) : undefined
  const tools = {} as SupportTools
  for (const def of toolDefinitions()) {
    if (wanted && !wanted.has(def.name)) continue
    tools[def.name] = supportTool(client, def, appSlugs)
  }
  return tools
}

function supportTool(client: StripeConnect, def: ToolDefinition, appSlugs: string[]): SupportTool {
  // No explicit type arguments: `tool`'s overloads differ between AI SDK 6 and 7; inference serves both.
  return ai.tool({
    title: def.title,
    description: def.description,
    // No `validate`: the core checks the arguments and answers the model with what is wrong.
    inputSchema: ai.jsonSchema<Record<string, unknown>>(def.inputSchema),
    inputExamples: def.examples.map((input) => ({ input })),
    execute: (input: Record<string, unknown>): Promise<ToolResult> =>
      client.callTool(def.name, input, { appSlugs }),
  })
}
