// @ts-check
// The outgoing side of the chat service: a Slack incoming-webhook style POST of `{text}`.
// Messages go out one at a time, in order, with a few retries; the queue is bounded so an
// unreachable chat service cannot make the bot grow without limit.

const QUEUE_LIMIT = 100;
const ATTEMPTS = 3;
const TIMEOUT_MS = 5_000;

/**
 * @typedef {object} ChatPoster
 * @property {(text: string) => void} post  queues one message
 * @property {() => Promise<void>} drain  resolves when the queue is empty
 */

/**
 * @param {{ webhookUrl: string | undefined, log: (line: string) => void }} options
 *   without a `webhookUrl` the messages are printed instead (a dry run)
 * @returns {ChatPoster}
 */
export function createChatPoster({ webhookUrl, log }) {
  /** @type {string[]} */
  const queue = [];
  /** @type {Promise<void>} */
  let draining = Promise.resolve();
  let running = false;

  async function deliver(/** @type {string} */ text) {
    if (!webhookUrl) {
      log(`chat (dry run, no CHAT_WEBHOOK_URL): ${text}`);
      return;
    }
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const res = await fetch(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text }),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        if (res.status < 500 && res.status !== 429) {
          log(`chat: webhook refused the message (${res.status}); dropped`);
          return;
        }
        // Slack answers 429 with Retry-After when a channel gets more than ~1 message/s.
        const retryAfter = Number(res.headers.get('retry-after'));
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 30) * 1000 : attempt * 1000);
      } catch (err) {
        log(`chat: webhook unreachable (${err instanceof Error ? err.message : String(err)}), attempt ${attempt}/${ATTEMPTS}`);
        if (attempt < ATTEMPTS) await sleep(attempt * 1000);
      }
    }
    log('chat: message dropped after retries');
  }

  async function run() {
    running = true;
    for (let text = queue.shift(); text !== undefined; text = queue.shift()) await deliver(text);
    running = false;
  }

  return {
    post(text) {
      if (queue.length >= QUEUE_LIMIT) {
        queue.shift();
        log('chat: queue full, dropped the oldest message');
      }
      queue.push(text);
      if (!running) draining = run();
    },
    drain: () => draining,
  };
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
