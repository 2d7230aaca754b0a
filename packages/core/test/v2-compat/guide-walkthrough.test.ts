import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, waitFor } from '../support/gateway.js';
import { startUpstream } from '../support/upstream.js';
import { curl, v2Gateway } from './support.js';

/**
 * "Done means" of issue #13: the v2 guide's Slack-style bot, with the guide's scopes (no
 * session:create), its curl calls as written and its event names, against this gateway.
 * The bot watches and drives a session the operator started.
 */
const gw = v2Gateway({ idleThresholdMs: 500 });

/** What `websocat "ws://…/_events?token=…&topics=…"` prints: one JSON frame per line. */
function websocat(url: string): { frames: any[]; ws: WebSocket; open: Promise<void> } {
  const ws = new WebSocket(url);
  const frames: any[] = [];
  ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString())));
  return { frames, ws, open: new Promise((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject))) };
}

describe("the v2 guide's Slack-style bot walkthrough, unchanged", () => {
  it('registers with curl, watches and drives an operator session with the guide\'s scopes, and gets the v2 events', async () => {
    const t = gw.get();
    const api = `${t.url}/api/v1`;
    const bot = await startUpstream({ handler: (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"page":"status"}') });
    try {
      // 1. Operator registers (the guide's curl, as written).
      const reg = await curl([
        '-X', 'POST', `${api}/integrations`,
        '-H', `Authorization: Bearer ${ADMIN_TOKEN}`,
        '-H', 'Content-Type: application/json',
        '-d', JSON.stringify({ name: 'slack-bot', base_url: bot.url, route_prefix: 'slack-bot', scopes: ['session:read', 'session:input', 'event:subscribe:session.*'], version: '1.0.0' }),
      ]);
      expect(reg.status).toBe(201);
      const BOT_KEY: string = reg.body.api_key;
      expect(BOT_KEY).toMatch(/^odk_live_/);
      // The onboarding smoke test: 200 {"sessions":[]}.
      expect(await curl(['-H', `Authorization: Bearer ${BOT_KEY}`, `${api}/sessions`])).toMatchObject({ status: 200, body: { sessions: [] } });

      // 2. Bot subscribes (websocat, ?token= on the upgrade), the guide's topics and Pattern A's.
      const events = websocat(`${t.wsUrl}/api/v1/integrations/_events?token=${BOT_KEY}&topics=session.output,session.ended`);
      const replies = websocat(`${t.wsUrl}/api/v1/integrations/_events?topics=session.idle,session.ended&token=${BOT_KEY}`);
      await Promise.all([events.open, replies.open]);

      // The operator works in a session the bot did not create.
      const started = await curl(['-X', 'POST', `${api}/sessions`, '-H', `Authorization: Bearer ${ADMIN_TOKEN}`, '-d', '{"provider_id":"bash","name":"build"}']);
      expect(started.body).toMatchObject({ origin: 'operator', name: 'build' });
      const sess = started.body.id as string;

      // Pattern A: session.idle with recent_output is the reply signal.
      await curl(['-X', 'POST', `${api}/sessions/${sess}/input`, '-H', `Authorization: Bearer ${BOT_KEY}`, '-d', '{"data":"echo ready-$((20+22))\\n"}']);
      const idle = await waitFor(() => replies.frames.find((f) => f.topic === 'session.idle' && f.data.session_id === sess && /ready-42/.test(f.data.recent_output)), 15_000);
      expect(idle.data.origin).toBe('operator');

      // 4. User replies in Slack; bot routes back to opendray (the guide's curl, as written).
      const input = await curl([
        '-X', 'POST', `${api}/sessions/${sess}/input`,
        '-H', `Authorization: Bearer ${BOT_KEY}`,
        '-H', 'Content-Type: application/json',
        '-d', '{"text":"@bot: continue from where you left off"}',
      ]);
      expect(input.status).toBe(204);
      await curl(['-X', 'POST', `${api}/sessions/${sess}/input`, '-H', `Authorization: Bearer ${BOT_KEY}`, '-d', '{"data":"exit 0\\n"}']);

      // 3. On session.ended the bot posts to Slack: the frame has what the guide shows, and v2's fields.
      const ended = await waitFor(() => events.frames.find((f) => f.topic === 'session.ended' && f.data.session_id === sess), 15_000);
      expect(ended).toMatchObject({ topic: 'session.ended', ts: expect.any(String), data: { session_id: sess, exit_code: 0, state: 'ended', origin: 'operator', ended_at: expect.any(String) } });
      expect(events.frames.some((f) => f.topic === 'session.output' && f.data.session_id === sess)).toBe(true);
      expect(replies.frames.some((f) => f.topic === 'session.ended' && f.data.session_id === sess)).toBe(true);

      // 5. Operator hits the bot's status page through opendray's proxy.
      await waitFor(async () => (await curl(['-H', `Authorization: Bearer ${ADMIN_TOKEN}`, `${api}/integrations/${reg.body.integration.id}`])).body.health_status === 'healthy');
      expect(await curl([`${api}/proxy/slack-bot/status`, '-H', `Authorization: Bearer ${ADMIN_TOKEN}`])).toMatchObject({ status: 200, body: { page: 'status' } });

      // The other guide's operator PATCH: curl -d without a content type.
      const patched = await curl(['-X', 'PATCH', `${api}/integrations/${reg.body.integration.id}`, '-H', `Authorization: Bearer ${ADMIN_TOKEN}`, '-d', '{"default_provider_id":"antigravity"}']);
      expect(patched).toMatchObject({ status: 200, body: { default_provider_id: 'antigravity' } });
      events.ws.close();
      replies.ws.close();
    } finally {
      await bot.close();
    }
  });
});
