import type { AdapterContext } from './server.js';
import type { ConversationView } from './script.js';
import { sleep } from './server.js';

type Item = { type?: string; role?: string; content?: string | Array<{ type?: string; text?: string }>; output?: unknown };

/** OpenAI responses API (Codex): `POST /v1/responses` SSE; `GET /v1/models`. */
export function handleOpenAi(ctx: AdapterContext): boolean {
  if (ctx.path === '/v1/models') {
    ctx.record.api = 'openai';
    ctx.sendJson(200, { object: 'list', data: [], models: [] });
    return true;
  }
  if (ctx.path !== '/v1/responses') return false;
  ctx.record.api = 'openai';
  const body = (ctx.body ?? {}) as { input?: Item[]; tools?: unknown[] };
  const input = body.input ?? [];
  // Codex's title thread: a request without tools (AGENT-CLIS.md: a second thread-id).
  if (!body.tools || body.tools.length === 0) {
    ctx.record.kind = 'side';
    void stream(ctx, { kind: 'text', text: 'Stand-in title' }, 0);
    return true;
  }
  ctx.record.kind = 'turn';
  const answer = ctx.script.answer(view(input));
  ctx.record.answer = answer;
  void stream(ctx, answer, ctx.firstTokenDelayMs);
  return true;
}

function view(input: Item[]): ConversationView {
  const last = input[input.length - 1];
  const endsWithToolResult = last?.type === 'function_call_output';
  let lastUserText = '';
  for (let i = input.length - 1; i >= 0 && !lastUserText; i--) {
    const item = input[i]!;
    if (item.role !== 'user') continue;
    const parts = typeof item.content === 'string' ? [{ type: 'input_text', text: item.content }] : (item.content ?? []);
    const text = parts.filter((p) => p.type === 'input_text' && p.text).map((p) => p.text!).join(' ');
    // Codex sends its environment and instructions as user messages in XML-ish wrappers.
    if (!/^\s*</.test(text)) lastUserText = text;
  }
  const out = endsWithToolResult ? last!.output : '';
  return { lastUserText, endsWithToolResult, toolResultText: typeof out === 'string' ? out : JSON.stringify(out ?? '') };
}

async function stream(ctx: AdapterContext, answer: { kind: 'text'; text: string } | { kind: 'tool_call'; command: string; justification: string }, delayMs: number): Promise<void> {
  await sleep(delayMs);
  const rid = `resp_standin_${ctx.record.seq}`;
  const events: Array<{ event: string; data: Record<string, unknown> }> = [];
  const response = (status: string, output: unknown[]) => ({ id: rid, object: 'response', status, model: 'fake-model', output });
  events.push({ event: 'response.created', data: { response: response('in_progress', []) } });
  events.push({ event: 'response.in_progress', data: { response: response('in_progress', []) } });
  let item: Record<string, unknown>;
  if (answer.kind === 'text') {
    const id = `msg_standin_${ctx.record.seq}`;
    item = { id, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: answer.text, annotations: [] }] };
    events.push({ event: 'response.output_item.added', data: { output_index: 0, item: { ...item, status: 'in_progress', content: [] } } });
    events.push({ event: 'response.content_part.added', data: { item_id: id, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } } });
    for (const piece of answer.text.match(/.{1,12}/gs) ?? []) {
      events.push({ event: 'response.output_text.delta', data: { item_id: id, output_index: 0, content_index: 0, delta: piece } });
    }
    events.push({ event: 'response.output_text.done', data: { item_id: id, output_index: 0, content_index: 0, text: answer.text } });
  } else {
    const id = `fc_standin_${ctx.record.seq}`;
    const args = JSON.stringify({ cmd: answer.command, sandbox_permissions: 'require_escalated', justification: answer.justification });
    item = { id, type: 'function_call', call_id: `call_standin_${ctx.record.seq}`, name: 'exec_command', arguments: args, status: 'completed' };
    events.push({ event: 'response.output_item.added', data: { output_index: 0, item: { ...item, arguments: '', status: 'in_progress' } } });
    events.push({ event: 'response.function_call_arguments.delta', data: { item_id: id, output_index: 0, delta: args } });
    events.push({ event: 'response.function_call_arguments.done', data: { item_id: id, output_index: 0, arguments: args } });
  }
  events.push({ event: 'response.output_item.done', data: { output_index: 0, item } });
  const usage = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 };
  events.push({ event: 'response.completed', data: { response: { ...response('completed', [item]), usage } } });
  await ctx.sendSse(events.map((e) => ({ event: e.event, data: { type: e.event, ...e.data } })));
}
