/**
 * `mcpload serve --fixtures`: beside the default surface (echo, mcpload://resources/N, greeting), the
 * tools, resources and prompts that @modelcontextprotocol/conformance's server scenarios call, with
 * the contents their checks look for. Plain answers are built once at load, like handlers.ts; the
 * streaming tools (logging, progress, sampling, elicitation, a stream closed mid-call) run against a
 * ToolStream that the transport provides (fixture-http.ts, fixture-ws.ts).
 */
import { runSlowProgress, SLOW_PROGRESS_DEFINITION, SLOW_PROGRESS_TOOL } from './slow-progress.js';
import { answerRequest, RpcFailure, RPC_ERROR, SUPPORTED_PROTOCOL_VERSIONS, TARGET_NAME, TARGET_VERSION, toolError, type Answer } from './handlers.js';

/** What a streaming tool may do while it runs, besides returning its result. */
export interface ToolStream {
  /** A notification related to the call (it goes out before the result, on the call's stream). */
  notify(method: string, params: Record<string, unknown>): void;
  /** A server->client request (sampling, elicitation); resolves with its result, rejects with its error. */
  request(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** End the connection carrying the call without ending its stream: the client resumes it with GET + Last-Event-ID. */
  interrupt(): void;
  /** What the client declared in initialize. */
  readonly clientCapabilities: Record<string, unknown>;
}

const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/** A WAV file of one silent 16-bit mono sample at 8 kHz: the RIFF header and two bytes of data. */
function silentWav(): string {
  const data = 2;
  const wav = Buffer.alloc(44 + data);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + data, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(8000, 24); // sample rate
  wav.writeUInt32LE(16000, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36);
  wav.writeUInt32LE(data, 40);
  return wav.toString('base64');
}
const WAV_SILENCE = silentWav();

const NO_ARGUMENTS = { type: 'object', properties: {} };
const text = (t: string) => ({ type: 'text', text: t });
const result = (...content: unknown[]) => JSON.stringify({ content });

/** Tools answered at once: the result JSON, built once. */
const PLAIN_TOOLS: Record<string, { description: string; result: string }> = {
  test_simple_text: { description: 'Returns one text item.', result: result(text('This is a simple text response for testing.')) },
  test_image_content: { description: 'Returns one PNG image item.', result: result({ type: 'image', data: PNG_1X1, mimeType: 'image/png' }) },
  test_audio_content: { description: 'Returns one WAV audio item.', result: result({ type: 'audio', data: WAV_SILENCE, mimeType: 'audio/wav' }) },
  test_embedded_resource: {
    description: 'Returns an embedded text resource.',
    result: result({ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }),
  },
  test_multiple_content_types: {
    description: 'Returns text, an image and an embedded resource.',
    result: result(
      text('Multiple content types:'),
      { type: 'image', data: PNG_1X1, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}' },
      },
    ),
  },
  test_error_handling: { description: 'Always fails, as a tool execution error (isError).', result: toolError('This tool fails on purpose, for testing') },
};

const JSON_SCHEMA_2020_12 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: { address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
  properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
  additionalProperties: false,
};

const STREAMING_TOOLS: Record<string, { description: string; inputSchema: Record<string, unknown> }> = {
  test_tool_with_logging: { description: 'Sends three log messages while it runs.', inputSchema: NO_ARGUMENTS },
  test_tool_with_progress: { description: 'Reports progress 0, 50, 100 of 100 to the request progressToken.', inputSchema: NO_ARGUMENTS },
  test_reconnection: { description: 'Closes its SSE connection mid-call; the result comes after the client resumes.', inputSchema: NO_ARGUMENTS },
  test_sampling: {
    description: 'Asks the client for an LLM completion (sampling/createMessage).',
    inputSchema: { type: 'object', properties: { prompt: { type: 'string', description: 'The prompt for the LLM' } }, required: ['prompt'] },
  },
  test_elicitation: {
    description: 'Asks the client for user input (elicitation/create).',
    inputSchema: { type: 'object', properties: { message: { type: 'string', description: 'What to ask the user' } }, required: ['message'] },
  },
  test_elicitation_sep1034_defaults: { description: 'Elicits a form whose fields carry defaults (SEP-1034).', inputSchema: NO_ARGUMENTS },
  test_elicitation_sep1330_enums: { description: 'Elicits a form with every enum variant (SEP-1330).', inputSchema: NO_ARGUMENTS },
};

export function isStreamingTool(name: unknown): name is string {
  return typeof name === 'string' && (Object.hasOwn(STREAMING_TOOLS, name) || name === SLOW_PROGRESS_TOOL);
}

const ECHO_TOOL = {
  name: 'echo',
  description: 'Returns the text it is given.',
  inputSchema: { type: 'object', properties: { text: { type: 'string', description: 'Text to echo back' } }, required: ['text'] },
};
const TOOLS_LIST = JSON.stringify({
  tools: [
    ECHO_TOOL,
    ...Object.entries(PLAIN_TOOLS).map(([name, t]) => ({ name, description: t.description, inputSchema: NO_ARGUMENTS })),
    ...Object.entries(STREAMING_TOOLS).map(([name, t]) => ({ name, ...t })),
    { name: SLOW_PROGRESS_TOOL, ...SLOW_PROGRESS_DEFINITION },
    {
      name: 'json_schema_2020_12_tool',
      description: 'Declares its input with JSON Schema 2020-12 ($schema, $defs, additionalProperties).',
      inputSchema: JSON_SCHEMA_2020_12,
    },
  ],
});

const WATCHED = 'test://watched-resource';
const STATIC_RESOURCES: Record<string, { name: string; description: string; mimeType: string; content: Record<string, string> }> = {
  'test://static-text': {
    name: 'static-text',
    description: 'A text resource.',
    mimeType: 'text/plain',
    content: { text: 'The content of the static text resource.' },
  },
  'test://static-binary': { name: 'static-binary', description: 'A binary resource (a PNG).', mimeType: 'image/png', content: { blob: PNG_1X1 } },
  [WATCHED]: { name: 'watched-resource', description: 'A resource to subscribe to.', mimeType: 'text/plain', content: { text: 'Watched resource content' } },
};
const TEMPLATE = /^test:\/\/template\/([^/]+)\/data$/;

function fixtureResources(defaults: string): string {
  const listed = (JSON.parse(defaults) as { resources: unknown[] }).resources;
  const ours = Object.entries(STATIC_RESOURCES).map(([uri, r]) => ({ uri, name: r.name, description: r.description, mimeType: r.mimeType }));
  return JSON.stringify({ resources: [...listed, ...ours] });
}
const RESOURCES_LIST = fixtureResources(answerRequest('resources/list', undefined) as string);
const RESOURCE_TEMPLATES_LIST = JSON.stringify({
  resourceTemplates: [{ uriTemplate: 'test://template/{id}/data', name: 'template', description: 'Data for an id.', mimeType: 'application/json' }],
});
const resourceReads = new Map(
  Object.entries(STATIC_RESOURCES).map(([uri, r]) => [uri, JSON.stringify({ contents: [{ uri, mimeType: r.mimeType, ...r.content }] })]),
);

const PROMPTS: Record<string, { description: string; arguments?: { name: string; description: string; required: boolean }[] }> = {
  test_simple_prompt: { description: 'A prompt without arguments.' },
  test_prompt_with_arguments: {
    description: 'A prompt with two required arguments.',
    arguments: [
      { name: 'arg1', description: 'First argument', required: true },
      { name: 'arg2', description: 'Second argument', required: true },
    ],
  },
  test_prompt_with_embedded_resource: {
    description: 'A prompt that embeds a resource.',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
  },
  test_prompt_with_image: { description: 'A prompt with an image.' },
};
const PROMPTS_LIST = JSON.stringify({
  prompts: [
    ...(JSON.parse(answerRequest('prompts/list', undefined) as string) as { prompts: unknown[] }).prompts,
    ...Object.entries(PROMPTS).map(([name, p]) => ({ name, ...p })),
  ],
});

const CAPABILITIES = {
  tools: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  prompts: { listChanged: true },
  logging: {},
  completions: {},
};
const initializeResults = new Map<string, string>(
  SUPPORTED_PROTOCOL_VERSIONS.map((protocolVersion) => [
    protocolVersion,
    JSON.stringify({ protocolVersion, capabilities: CAPABILITIES, serverInfo: { name: TARGET_NAME, version: TARGET_VERSION } }),
  ]),
);

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

const userMessage = (content: unknown) => ({ role: 'user', content });

function getPrompt(params: Record<string, unknown> | undefined): string | RpcFailure | undefined {
  const args = record(params?.arguments) ?? {};
  const str = (key: string) => (typeof args[key] === 'string' ? args[key] : undefined);
  switch (params?.name) {
    case 'test_simple_prompt':
      return JSON.stringify({ messages: [userMessage(text('This is a simple prompt for testing.'))] });
    case 'test_prompt_with_arguments': {
      const [a, b] = [str('arg1'), str('arg2')];
      if (a === undefined || b === undefined) return new RpcFailure(RPC_ERROR.invalidParams, 'Missing required arguments: arg1 and arg2');
      return JSON.stringify({ messages: [userMessage(text(`Prompt with arguments: arg1='${a}', arg2='${b}'`))] });
    }
    case 'test_prompt_with_embedded_resource': {
      const uri = str('resourceUri');
      if (uri === undefined) return new RpcFailure(RPC_ERROR.invalidParams, 'Missing required argument: resourceUri');
      const resource = { type: 'resource', resource: { uri, mimeType: 'text/plain', text: 'Embedded resource content.' } };
      return JSON.stringify({ messages: [userMessage(resource), userMessage(text('Please process the embedded resource above.'))] });
    }
    case 'test_prompt_with_image':
      return JSON.stringify({
        messages: [userMessage({ type: 'image', data: PNG_1X1, mimeType: 'image/png' }), userMessage(text('Describe the image above.'))],
      });
    default:
      return undefined;
  }
}

function readResource(params: Record<string, unknown> | undefined): string | undefined {
  const uri = params?.uri;
  if (typeof uri !== 'string') return undefined;
  const fixed = resourceReads.get(uri);
  if (fixed) return fixed;
  const id = TEMPLATE.exec(uri)?.[1];
  if (id === undefined) return undefined;
  return JSON.stringify({ contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, data: `Data for id ${id}` }) }] });
}

const EMPTY = '{}';
const NO_COMPLETIONS = '{"completion":{"values":[],"total":0,"hasMore":false}}';

/** The fixtures surface for every request that is not a streaming tool call; the default surface underneath. */
export const answerFixture: Answer = (method, rawParams) => {
  const params = record(rawParams);
  switch (method) {
    case 'initialize': {
      const asked = params?.protocolVersion;
      return (typeof asked === 'string' ? initializeResults.get(asked) : undefined) ?? initializeResults.get(SUPPORTED_PROTOCOL_VERSIONS[0])!;
    }
    case 'tools/list':
      return TOOLS_LIST;
    case 'tools/call': {
      const name = params?.name;
      if (typeof name === 'string' && Object.hasOwn(PLAIN_TOOLS, name)) return PLAIN_TOOLS[name].result;
      if (name === 'json_schema_2020_12_tool') return result(text(`json_schema_2020_12_tool called with ${JSON.stringify(params?.arguments ?? {})}`));
      // The transports run these (fixture-http.ts, fixture-ws.ts); one that does not gets a tool error.
      if (isStreamingTool(name)) return toolError(`${name} streams its answer, which this transport does not do`);
      break;
    }
    case 'resources/list':
      return RESOURCES_LIST;
    case 'resources/templates/list':
      return RESOURCE_TEMPLATES_LIST;
    case 'resources/read':
      return readResource(params) ?? answerRequest(method, rawParams);
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      return typeof params?.uri === 'string' ? EMPTY : new RpcFailure(RPC_ERROR.invalidParams, `${method} needs a uri`);
    case 'prompts/list':
      return PROMPTS_LIST;
    case 'prompts/get':
      return getPrompt(params) ?? answerRequest(method, rawParams);
    case 'logging/setLevel':
      return typeof params?.level === 'string' ? EMPTY : new RpcFailure(RPC_ERROR.invalidParams, 'logging/setLevel needs a level');
    case 'completion/complete':
      return NO_COMPLETIONS;
  }
  return answerRequest(method, rawParams);
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const STEP_MS = 50;

function contentText(reply: Record<string, unknown>): string {
  const content = record(reply.content);
  return typeof content?.text === 'string' ? content.text : JSON.stringify(reply);
}

const SEP1034_FORM = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Name', default: 'John Doe' },
    age: { type: 'integer', description: 'Age', default: 30 },
    score: { type: 'number', description: 'Score', default: 95.5 },
    status: { type: 'string', description: 'Status', enum: ['active', 'inactive', 'pending'], default: 'active' },
    verified: { type: 'boolean', description: 'Verified', default: true },
  },
  required: [],
};
const choices = (prefix: string, titles: string[]) => titles.map((title, i) => ({ const: `${prefix}${i + 1}`, title }));
const SEP1330_FORM = {
  type: 'object',
  properties: {
    untitledSingle: { type: 'string', description: 'Pick one', enum: ['option1', 'option2', 'option3'] },
    titledSingle: { type: 'string', description: 'Pick one (titled)', oneOf: choices('value', ['First', 'Second', 'Third']) },
    legacyEnum: { type: 'string', description: 'Pick one (legacy titles)', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option 1', 'Option 2', 'Option 3'] },
    untitledMulti: { type: 'array', description: 'Pick some', minItems: 1, maxItems: 3, items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
    titledMulti: {
      type: 'array',
      description: 'Pick some (titled)',
      minItems: 1,
      maxItems: 3,
      items: { anyOf: choices('value', ['First', 'Second', 'Third']) },
    },
  },
  required: [],
};

async function elicit(stream: ToolStream, message: string, requestedSchema: unknown): Promise<string> {
  if (!stream.clientCapabilities.elicitation) return toolError('The client declared no elicitation capability');
  const reply = await stream.request('elicitation/create', { message, requestedSchema });
  return result(text(`Elicitation result: action=${String(reply.action)}, content=${JSON.stringify(reply.content ?? {})}`));
}

/** Runs one streaming tool; the result JSON, or a tool error when the client will not play its part. */
export async function runStreamingTool(name: string, params: Record<string, unknown> | undefined, stream: ToolStream): Promise<string> {
  const args = record(params?.arguments) ?? {};
  if (name === SLOW_PROGRESS_TOOL) return runSlowProgress(params, stream);
  try {
    switch (name) {
      case 'test_tool_with_logging':
        for (const [i, step] of ['started', 'working', 'done'].entries()) {
          if (i > 0) await sleep(STEP_MS);
          stream.notify('notifications/message', { level: 'info', logger: TARGET_NAME, data: `test_tool_with_logging ${step}` });
        }
        return result(text('test_tool_with_logging ran'));
      case 'test_tool_with_progress': {
        const token = record(params?._meta)?.progressToken;
        for (const progress of [0, 50, 100]) {
          if (progress > 0) await sleep(STEP_MS);
          if (token !== undefined) stream.notify('notifications/progress', { progressToken: token, progress, total: 100, message: `${progress} of 100` });
        }
        return result(text(`progress reported to ${JSON.stringify(token ?? null)}`));
      }
      case 'test_reconnection':
        stream.interrupt();
        await sleep(STEP_MS);
        return result(text('test_reconnection: the result after the client resumed the stream'));
      case 'test_sampling': {
        if (typeof args.prompt !== 'string') return toolError('Invalid arguments for tool test_sampling: prompt must be a string');
        if (!stream.clientCapabilities.sampling) return toolError('The client declared no sampling capability');
        const reply = await stream.request('sampling/createMessage', { messages: [userMessage(text(args.prompt))], maxTokens: 100 });
        return result(text(`LLM response: ${contentText(reply)}`));
      }
      case 'test_elicitation': {
        if (typeof args.message !== 'string') return toolError('Invalid arguments for tool test_elicitation: message must be a string');
        const form = { type: 'object', properties: { response: { type: 'string', description: 'Your answer' } }, required: ['response'] };
        return await elicit(stream, args.message, form);
      }
      case 'test_elicitation_sep1034_defaults':
        return await elicit(stream, 'Review the fields; each has a default', SEP1034_FORM);
      case 'test_elicitation_sep1330_enums':
        return await elicit(stream, 'Pick from each kind of enum', SEP1330_FORM);
    }
  } catch (err) {
    return toolError(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return toolError(`Unknown streaming tool ${name}`);
}
