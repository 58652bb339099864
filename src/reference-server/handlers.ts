/**
 * The MCP surface of the reference target: the same small set of tools, resources and prompts
 * that test/helpers/sdk-ws-server.ts registers on the official SDK McpServer, so a run against
 * either server drives the same requests.
 *
 * Every answer is either result JSON (a string, mostly built once at load) or an RpcFailure.
 * Nothing here throws on client input; `params._meta` (mcpload pads with it) is never read.
 */
import { VERSION } from '../shared/version.js';

export const SUPPORTED_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;
export const LATEST_PROTOCOL_VERSION = SUPPORTED_PROTOCOL_VERSIONS[0];
export const TARGET_NAME = 'mcpload-target';

/** JSON-RPC and MCP error codes the target answers with. */
export const RPC_ERROR = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  resourceNotFound: -32002,
} as const;

export class RpcFailure {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}

export const TARGET_VERSION = VERSION;

/** A surface: answers one client request with result JSON or the JSON-RPC error to send instead. */
export type Answer = (method: string, rawParams: unknown) => string | RpcFailure;

/**
 * A tool execution error (2025-11-25, server/tools, "Error Handling"): bad input to a known tool is a
 * result with `isError: true` the model can act on; an unknown tool or a malformed call is a JSON-RPC error.
 */
export function toolError(message: string): string {
  return '{"content":[{"type":"text","text":' + JSON.stringify(message) + '}],"isError":true}';
}

const initializeResults = new Map<string, string>(
  SUPPORTED_PROTOCOL_VERSIONS.map((protocolVersion) => [
    protocolVersion,
    JSON.stringify({
      protocolVersion,
      capabilities: { tools: {}, resources: {}, prompts: {} },
      serverInfo: { name: TARGET_NAME, version: TARGET_VERSION },
    }),
  ]),
);

const TOOLS_LIST = JSON.stringify({
  tools: [
    {
      name: 'echo',
      description: 'Returns the text it is given.',
      inputSchema: {
        type: 'object',
        properties: { text: { type: 'string', description: 'Text to echo back' } },
        required: ['text'],
      },
      // Discovery calls only read-only tools unless told otherwise (src/discover/policy.ts): echo is one.
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
  ],
});

export const RESOURCE_COUNT = 10;
export const RESOURCE_URI_PREFIX = 'mcpload://resources/';
const resourceUris = Array.from({ length: RESOURCE_COUNT }, (_, i) => RESOURCE_URI_PREFIX + (i + 1));
const RESOURCES_LIST = JSON.stringify({
  resources: resourceUris.map((uri, i) => ({ uri, name: `resource-${i + 1}`, mimeType: 'text/plain' })),
});
const resourceReads = new Map<string, string>(
  resourceUris.map((uri, i) => [uri, JSON.stringify({ contents: [{ uri, mimeType: 'text/plain', text: `resource ${i + 1}` }] })]),
);

const PROMPTS_LIST = JSON.stringify({
  prompts: [
    {
      name: 'greeting',
      description: 'A greeting for someone.',
      arguments: [{ name: 'name', description: 'Who to greet', required: true }],
    },
  ],
});

const EMPTY_RESULT = '{}';
const RESOURCE_TEMPLATES_LIST = '{"resourceTemplates":[]}';

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function initialize(params: Record<string, unknown> | undefined): string {
  const asked = params?.protocolVersion;
  return (typeof asked === 'string' ? initializeResults.get(asked) : undefined) ?? initializeResults.get(LATEST_PROTOCOL_VERSION)!;
}

function callTool(params: Record<string, unknown> | undefined): string | RpcFailure {
  const name = params?.name;
  if (name !== 'echo') return new RpcFailure(RPC_ERROR.invalidParams, `Unknown tool: ${String(name)}`);
  const text = record(params!.arguments)?.text;
  if (typeof text !== 'string') return toolError('Invalid arguments for tool echo: text must be a string');
  return '{"content":[{"type":"text","text":' + JSON.stringify(text) + '}]}';
}

function readResource(params: Record<string, unknown> | undefined): string | RpcFailure {
  const uri = params?.uri;
  const result = typeof uri === 'string' ? resourceReads.get(uri) : undefined;
  return result ?? new RpcFailure(RPC_ERROR.resourceNotFound, `Resource not found: ${String(uri)}`);
}

function getPrompt(params: Record<string, unknown> | undefined): string | RpcFailure {
  const name = params?.name;
  if (name !== 'greeting') return new RpcFailure(RPC_ERROR.invalidParams, `Unknown prompt: ${String(name)}`);
  const who = record(params!.arguments)?.name;
  if (typeof who !== 'string') return new RpcFailure(RPC_ERROR.invalidParams, 'Invalid arguments for prompt greeting: name must be a string');
  return JSON.stringify({ messages: [{ role: 'user', content: { type: 'text', text: `Hello, ${who}` } }] });
}

/** The default surface. */
export const answerRequest: Answer = (method, rawParams) => {
  const params = record(rawParams);
  switch (method) {
    case 'ping':
      return EMPTY_RESULT;
    case 'tools/call':
      return callTool(params);
    case 'resources/read':
      return readResource(params);
    case 'prompts/get':
      return getPrompt(params);
    case 'tools/list':
      return TOOLS_LIST;
    case 'resources/list':
      return RESOURCES_LIST;
    case 'resources/templates/list':
      return RESOURCE_TEMPLATES_LIST;
    case 'prompts/list':
      return PROMPTS_LIST;
    case 'initialize':
      return initialize(params);
    default:
      return new RpcFailure(RPC_ERROR.methodNotFound, `Method not found: ${method}`);
  }
};
