// @ts-check
// Keeps what an event stream delivered, so a step can wait for an event that may already
// have arrived (a shell prints before the demo gets round to waiting for it).

/** @typedef {import('@opendray/sdk').EventFrame} EventFrame */

/**
 * @typedef {object} EventLog
 * @property {<T>(find: (events: readonly EventFrame[]) => T | undefined, what: string, timeoutMs?: number) => Promise<T>} waitFor
 *   resolves with the first non-undefined answer of `find` over everything received so far
 * @property {(sessionId: string) => string} outputOf  the text of every `session.output` of one session
 * @property {readonly EventFrame[]} events
 */

const LIMIT = 2_000;

/**
 * Drains `stream` in the background into a bounded list.
 *
 * @param {AsyncIterable<EventFrame>} stream
 * @returns {EventLog}
 */
export function createEventLog(stream) {
  /** @type {EventFrame[]} */
  const events = [];
  /** @type {Set<() => void>} */
  const listeners = new Set();
  /** @type {unknown} */
  let failure;
  let finished = false;

  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  void (async () => {
    try {
      for await (const event of stream) {
        events.push(event);
        if (events.length > LIMIT) events.shift();
        notify();
      }
    } catch (err) {
      failure = err;
    }
    finished = true;
    notify();
  })();

  return {
    events,
    outputOf(sessionId) {
      return events
        .filter((e) => e.topic === 'session.output' && e.data.session_id === sessionId)
        .map((e) => String(e.data.data ?? ''))
        .join('');
    },
    waitFor(find, what, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = find(events);
          if (found !== undefined) return done(() => resolve(found));
          if (failure) return done(() => reject(failure));
          if (finished) return done(() => reject(new Error(`the event stream ended before ${what}`)));
        };
        /** @param {() => void} settle */
        const done = (settle) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))), timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}
