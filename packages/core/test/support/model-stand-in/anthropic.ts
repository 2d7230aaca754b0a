import type { AdapterContext } from './server.js';
import type { ConversationView } from './script.js';
import { sleep } from './server.js';

type Block = { type?: string; text?: string; content?: unknown };
type Message = { role?: string; content?: string | Block[] };

/** Anthropic messages API (Claude Code): `HEAD /`, `POST /v1/messages` SSE, count_tokens. */
export function handleAnthropic(ctx: AdapterContext): boolean {
  if (!ctx.path.startsWith('/v1/messages')) return false;
  ctx.record.api = 'anthropic';
  if (ctx.path.endsWith('/count_tokens')) {
    ctx.sendJson(200, { input_tokens: 10 });
    return true;
  }
  const body = (ctx.body ?? {}) as { messages?: Message[]; stream?: boolean; output_config?: { format?: unknown } };
  // The per-session title request asks for structured output (AGENT-CLIS.md).
  if (body.output_config?.format !== undefined) {
    ctx.record.kind = 'side';
    void reply(ctx, body.stream !== false, [{ type: 'text', text: '{"title": "Stand-in session"}' }], 'end_turn', 0);
    return true;
  }
  ctx.record.kind = 'turn';
  const answer = ctx.script.answer(view(body.messages ?? []));
  ctx.record.answer = answer;
  const content: Content[] =
    answer.kind === 'text'
      ? [{ type: 'text', text: answer.text }]
      : [{ type: 'tool_use', id: `toolu_standin_${ctx.record.seq}`, name: 'Bash', input: { command: answer.command, description: 'Create a file' } }];
  void reply(ctx, body.stream !== false, content, answer.kind === 'text' ? 'end_turn' : 'tool_use', ctx.firstTokenDelayMs);
  return true;
}

function view(messages: Message[]): ConversationView {
  const last = messages[messages.length - 1];
  const blocks = (m: Message | undefined): Block[] => (typeof m?.content === 'string' ? [{ type: 'text', text: m.content }] : (m?.content ?? []));
  // A tool result sent along with new text (an interrupted tool) is a new user turn.
  const lastBlocks = blocks(last);
  const hasText = lastBlocks.some((b) => b.type === 'text' && b.text && !b.text.startsWith('<system-reminder>'));
  const toolResult = hasText ? undefined : lastBlocks.find((b) => b.type === 'tool_result');
  let lastUserText = '';
  for (let i = messages.length - 1; i >= 0 && !lastUserText; i--) {
    if (messages[i]!.role !== 'user') continue;
    lastUserText = blocks(messages[i])
      .filter((b) => b.type === 'text' && b.text && !b.text.startsWith('<system-reminder>') && !b.text.startsWith('<command-'))
      .map((b) => b.text)
      .join(' ');
  }
  const resultText = toolResult ? (typeof toolResult.content === 'string' ? toolResult.content : JSON.stringify(toolResult.content ?? '')) : '';
  return { lastUserText, endsWithToolResult: toolResult !== undefined, toolResultText: resultText };
}

type Content = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

async function reply(ctx: AdapterContext, stream: boolean, content: Content[], stopReason: string, delayMs: number): Promise<void> {
  await sleep(delayMs);
  const id = `msg_standin_${ctx.record.seq}`;
  const usage = { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  if (!stream) {
    ctx.sendJson(200, { id, type: 'message', role: 'assistant', model: 'stand-in', content, stop_reason: stopReason, stop_sequence: null, usage });
    return;
  }
  const events: Array<{ event: string; data: unknown }> = [
    { event: 'message_start', data: { type: 'message_start', message: { id, type: 'message', role: 'assistant', model: 'stand-in', content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } } },
  ];
  content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } } });
      for (const piece of block.text.match(/.{1,12}/gs) ?? []) {
        events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } } });
      }
    } else {
      events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } } });
      events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } } });
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  events.push({ event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 5 } } });
  events.push({ event: 'message_stop', data: { type: 'message_stop' } });
  await ctx.sendSse(events);
}
