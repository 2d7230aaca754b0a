import type { WebSocket } from 'ws';
import { controlFrame, eventFrame } from '../bus/frame.js';
import type { BusEvent, EventBus } from '../bus/types.js';
import { Outbound } from '../ws/backpressure.js';
import { topicRouting } from './aliases.js';

export interface SubscriberOptions {
  bus: EventBus;
  /** Validated, authorized patterns. */
  patterns: readonly string[];
  /** Tenancy and channel filter of this principal (events/access.ts). */
  visible: (event: BusEvent) => boolean;
  /** Replay what came after this seq; null = live only. */
  since: number | null;
  /** RFC 3339 time for control frames. */
  now: () => string;
  /**
   * Bytes a slow consumer may have outstanding in the socket, and again in the queue
   * behind a replay. Past it its queued events are dropped and announced as one `_gap`.
   */
  queueBytes: number;
  /** How often a backed-up socket is checked for progress. @default 20 */
  pumpIntervalMs?: number;
  /** The socket's outbound policy (stall detection lives there). @default a plain one */
  out?: Outbound;
  onEncodeError?: (err: unknown, topic: string) => void;
}

interface Queued {
  event: BusEvent;
  /** Live events count against `queueBytes`; replayed ones are already held by the bus log. */
  live: boolean;
}

/**
 * Feeds one events socket (SPEC §6): `_hello`, then the replay after `since` (with a
 * `_gap` first when the log no longer reaches back), then live events in publish order.
 * Guarantees: each event at most once (dedup by seq, also at the replay/live seam, across
 * overlapping patterns and between a topic and its v2 alias); only events `visible` to
 * the principal; a consumer that
 * falls `queueBytes` behind loses its backlog but always learns it through one
 * `_gap {from, to}` sent once its socket drains, while the bus and other subscribers are
 * never slowed. Returns the detach function (also run when the socket closes).
 */
export function attachSubscriber(ws: WebSocket, opts: SubscriberOptions): () => void {
  const { bus, visible, queueBytes, now } = opts;
  const out = opts.out ?? new Outbound(ws);
  const pumpIntervalMs = opts.pumpIntervalMs ?? 20;
  const encode = (event: BusEvent): Buffer => eventFrame(event, (err) => opts.onEncodeError?.(err, event.topic));
  const queue: Queued[] = [];
  let liveBytes = 0;
  let dropped: { from: number; to: number } | null = null;
  let lastSeq = 0;
  let early: BusEvent[] | null = [];
  let timer: NodeJS.Timeout | null = null;
  let detached = false;

  const sendControl = (topic: '_hello' | '_gap', data: Record<string, unknown>): void => {
    out.send(controlFrame(topic, now(), data));
  };

  const armTimer = (): void => {
    if (timer || detached) return;
    timer = setInterval(pump, pumpIntervalMs);
    timer.unref();
  };

  // Moves what it can from the queue into the socket; announces a drop once drained.
  function pump(): void {
    if (dropped && ws.bufferedAmount <= queueBytes / 2) {
      sendControl('_gap', dropped);
      dropped = null;
    }
    while (!dropped && queue.length > 0) {
      const head = queue[0]!;
      if (out.sendBounded(encode(head.event), queueBytes, false) === 'overflow') break;
      queue.shift();
      if (head.live) liveBytes -= encode(head.event).length;
    }
    if (timer && !dropped && queue.length === 0) {
      clearInterval(timer);
      timer = null;
    }
  }

  const routing = topicRouting(opts.patterns);
  const deliver = (busEvent: BusEvent): void => {
    if (busEvent.seq <= lastSeq) return;
    lastSeq = busEvent.seq;
    const event = routing.route(busEvent, true);
    if (!event || !visible(busEvent)) return;
    if (dropped) {
      dropped.to = event.seq;
      return;
    }
    if (queue.length === 0 && out.sendBounded(encode(event), queueBytes, false) !== 'overflow') return;
    queue.push({ event, live: true });
    liveBytes += encode(event).length;
    if (liveBytes > queueBytes) {
      // Never a silent drop: everything queued goes, and the range is announced (SPEC §6).
      dropped = { from: queue[0]!.event.seq, to: event.seq };
      queue.length = 0;
      liveBytes = 0;
    }
    armTimer();
  };

  // Subscribe before reading the log, so nothing published in between is lost; `early`
  // holds such events until the replay is queued, and seq dedup removes the overlap.
  const unsubscribe = bus.subscribe(routing.busPatterns, (event) => (early ? early.push(event) : deliver(event)));
  const seqNow = bus.seq;
  sendControl('_hello', { epoch: bus.epoch, seq: seqNow });
  if (opts.since !== null) {
    // A `since` ahead of this instance's newest seq cannot be from it (a restart reset
    // seq; `_hello.epoch` differs): replay everything this instance still has.
    const replay = bus.replay(opts.since > seqNow ? 0 : opts.since);
    if (replay.gap) sendControl('_gap', replay.gap);
    for (const busEvent of replay.events) {
      const event = busEvent.seq > lastSeq ? routing.route(busEvent, false) : undefined;
      if (event && visible(busEvent)) queue.push({ event, live: false });
      lastSeq = Math.max(lastSeq, busEvent.seq);
    }
  }
  lastSeq = Math.max(lastSeq, seqNow);
  const buffered = early;
  early = null;
  pump();
  if (queue.length > 0) armTimer();
  for (const event of buffered) deliver(event);

  const detach = (): void => {
    if (detached) return;
    detached = true;
    unsubscribe();
    if (timer) clearInterval(timer);
    timer = null;
    queue.length = 0;
  };
  ws.once('close', detach);
  return detach;
}
