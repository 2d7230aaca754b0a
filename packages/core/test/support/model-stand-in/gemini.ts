import type { AdapterContext } from './server.js';
import type { ConversationView, ScriptedAnswer } from './script.js';
import { sleep } from './server.js';

type Part = { text?: string; functionCall?: unknown; functionResponse?: { response?: unknown } };
type Content = { role?: string; parts?: Part[] };

const usageMetadata = { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 };

/** Gemini API (Gemini CLI): `:streamGenerateContent?alt=sse`, `:generateContent`, `:countTokens`, models. */
export function handleGemini(ctx: AdapterContext): boolean {
  if (!ctx.path.startsWith('/v1beta/')) return false;
  ctx.record.api = 'gemini';
  if (ctx.path === '/v1beta/models' || ctx.req.method === 'GET') {
    ctx.sendJson(200, { models: [] });
    return true;
  }
  if (ctx.path.endsWith(':countTokens')) {
    ctx.sendJson(200, { totalTokens: 10 });
    return true;
  }
  const body = (ctx.body ?? {}) as { contents?: Content[]; generationConfig?: { responseMimeType?: string }; tools?: unknown[] };
  if (ctx.path.endsWith(':generateContent') || body.generationConfig?.responseMimeType === 'application/json') {
    // The router's side request (or any other non-streaming call) gets JSON it can parse.
    ctx.record.kind = 'side';
    const text = JSON.stringify({ complexity_reasoning: 'simple', complexity_score: 1, reasoning: 'simple', model_choice: 'flash' });
    const payload = { candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }], usageMetadata };
    if (ctx.path.includes(':streamGenerateContent')) void ctx.sendSse([{ data: payload }]);
    else ctx.sendJson(200, payload);
    return true;
  }
  if (!ctx.path.includes(':streamGenerateContent')) return false;
  ctx.record.kind = 'turn';
  const answer = ctx.script.answer(view(body.contents ?? []));
  ctx.record.answer = answer;
  void stream(ctx, answer);
  return true;
}

function view(contents: Content[]): ConversationView {
  const last = contents[contents.length - 1];
  const hasText = (last?.parts ?? []).some((p) => typeof p.text === 'string' && p.text.trim() !== '' && !p.text.startsWith('<'));
  const response = hasText ? undefined : last?.parts?.find((p) => p.functionResponse);
  let lastUserText = '';
  for (let i = contents.length - 1; i >= 0 && !lastUserText; i--) {
    const c = contents[i]!;
    if (c.role !== 'user') continue;
    lastUserText = (c.parts ?? []).filter((p) => typeof p.text === 'string' && !p.text.startsWith('<')).map((p) => p.text!).join(' ');
  }
  return {
    lastUserText,
    endsWithToolResult: response !== undefined,
    toolResultText: response ? JSON.stringify(response.functionResponse?.response ?? '') : '',
  };
}

async function stream(ctx: AdapterContext, answer: ScriptedAnswer): Promise<void> {
  await sleep(ctx.firstTokenDelayMs);
  const chunk = (parts: Part[], finishReason?: string) => ({
    data: { candidates: [{ content: { role: 'model', parts }, index: 0, ...(finishReason ? { finishReason } : {}) }], usageMetadata, modelVersion: 'gemini-2.5-pro' },
  });
  if (answer.kind === 'text') {
    const pieces = answer.text.match(/.{1,12}/gs) ?? [''];
    await ctx.sendSse(pieces.map((p, i) => chunk([{ text: p }], i === pieces.length - 1 ? 'STOP' : undefined)));
  } else {
    await ctx.sendSse([chunk([{ functionCall: { name: 'run_shell_command', args: { command: answer.command, description: 'Create a file' } } }], 'STOP')]);
  }
}
