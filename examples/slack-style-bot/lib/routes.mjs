// @ts-check
// The bot's HTTP surface:
//   GET  /health       public; what the gateway's health probe reads (SPEC §9)
//   GET  /sessions     signed; the sessions the bot watches (the operator's, SPEC §3)
//   POST /chat/reply   signed, or the chat service's bearer token; {session_id, text} → session input
// The bot has the v2 guide's scopes (session:read, session:input, event:subscribe:session.*):
// it starts nothing, it watches and drives the sessions the operator runs.
// "Signed" = reached through the gateway's reverse proxy, /api/v1/proxy/<prefix>/..., which
// adds X-OpenDray-Signature (see ./signature.mjs). Anything else is a 401 or a 404.
import { timingSafeEqual } from 'node:crypto';
import { isOpendrayError } from '@opendray/sdk';
import { verifySignature } from './signature.mjs';

/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

const BODY_LIMIT = 64 * 1024;
const TOO_LARGE = Symbol('too large');

/**
 * @typedef {object} BotContext
 * @property {import('@opendray/sdk').OpendrayClient} client  the bot's own client (its API key)
 * @property {string} integrationId
 * @property {string} signingSecret
 * @property {string | undefined} chatReplyToken  what the chat service sends as `Authorization: Bearer …`
 * @property {() => 'connected' | 'connecting'} eventsState
 * @property {(text: string) => void} postToChat
 * @property {(line: string) => void} log
 */

/**
 * The request listener of the bot's HTTP server. Errors become JSON answers, never a crash.
 * @param {BotContext} ctx
 * @returns {(req: IncomingMessage, res: ServerResponse) => void}
 */
export function createRoutes(ctx) {
  return (req, res) => {
    handle(ctx, req, res).catch((err) => {
      if (isOpendrayError(err) && err.status >= 400 && err.status < 500) {
        // The gateway refused what the bot was asked to do (e.g. an unknown session): say so.
        return send(res, err.status, { error: err.message, code: err.code });
      }
      ctx.log(`error: ${err instanceof Error ? err.message : String(err)}`);
      send(res, 502, { error: 'the gateway call failed', code: 'upstream_error' });
    });
  };
}

/** @param {BotContext} ctx @param {IncomingMessage} req @param {ServerResponse} res */
async function handle(ctx, req, res) {
  const path = new URL(req.url ?? '/', 'http://bot.invalid').pathname;
  const route = `${req.method} ${path}`;

  if (route === 'GET /health') {
    const events = ctx.eventsState();
    return send(res, 200, { status: events === 'connected' ? 'healthy' : 'degraded', version: '0.1.0', events });
  }
  if (!['GET /sessions', 'POST /chat/reply'].includes(route)) {
    return send(res, 404, { error: 'not found', code: 'not_found' });
  }

  const signed = verifySignature(req, { secret: ctx.signingSecret, integrationId: ctx.integrationId });
  const chatToken = route === 'POST /chat/reply' && hasBearer(req, ctx.chatReplyToken);
  if (!signed.ok && !chatToken) {
    ctx.log(`refused ${route}: ${signed.reason}`);
    res.setHeader('www-authenticate', 'OpenDray-Signature');
    return send(res, 401, { error: 'a valid X-OpenDray-Signature is required', code: 'unauthorized' });
  }

  if (route === 'GET /sessions') return send(res, 200, { sessions: await ctx.client.listSessions({ include: 'shared' }) });

  const body = await readJson(req);
  if (body === TOO_LARGE) return send(res, 413, { error: `body: at most ${BODY_LIMIT} bytes`, code: 'payload_too_large' });
  if (body === undefined) return send(res, 400, { error: 'body: must be a JSON object', code: 'invalid_json' });

  // POST /chat/reply: the chat service relays what a user answered.
  const { session_id: sessionId, text } = body;
  if (typeof sessionId !== 'string' || sessionId === '') return send(res, 400, { error: 'session_id: required string', code: 'validation_failed' });
  if (typeof text !== 'string' || text === '' || text.length > 16_384) {
    return send(res, 400, { error: 'text: required string of at most 16384 characters', code: 'validation_failed' });
  }
  await ctx.client.sendText(sessionId, text);
  return send(res, 202, { delivered: true, session_id: sessionId });
}

/** Constant-time check of `Authorization: Bearer <token>`; false when no token is configured. */
function hasBearer(/** @type {IncomingMessage} */ req, /** @type {string | undefined} */ token) {
  if (!token) return false;
  const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '', 'utf8');
  const expected = Buffer.from(token, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The request body as a JSON object, `undefined` when it is not one, `TOO_LARGE` past 64 KiB.
 * @param {IncomingMessage} req
 * @returns {Promise<Record<string, unknown> | undefined | typeof TOO_LARGE>}
 */
async function readJson(req) {
  let size = 0;
  /** @type {Buffer[]} */
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > BODY_LIMIT) return TOO_LARGE;
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** @param {ServerResponse} res @param {number} status @param {unknown} body */
function send(res, status, body) {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
