import { REDACTED, type ChannelCapabilities } from '@opendray/sdk/wire';
import { isoTime, type Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { createSerialQueue } from '../serial-queue.js';
import type { ChannelRecord } from '../stores/types.js';
import type { ChannelAdapter, ChannelAdapterFactory, DeliveryResult, InboundMessage, OutboundMessage } from './types.js';

/** How long an adapter may take to start or stop before the channel gives up on it. */
const LIFECYCLE_TIMEOUT_MS = 10_000;
/** Longest error text kept on a channel's status. */
const MAX_ERROR_CHARS = 300;
const NO_CAPABILITIES: ChannelCapabilities = { inbound: false, outbound: false, commands: false };

/** A channel's runtime status (SPEC §7; admin view). Kept in memory: a restart starts clean. */
export interface ChannelStatus {
  last_error?: string;
  last_error_at?: string;
  last_delivery_at?: string;
}

export interface RuntimeDeps {
  clock: Clock;
  logger: Logger;
  onInbound(channelId: string, message: InboundMessage): void;
}

/**
 * One channel at run time: its record, its adapter, whether it runs, its status. Lifecycle
 * changes (start, stop, reconfigure) run one at a time per channel, so an enable racing a
 * disable ends in the state of whichever came last.
 */
export class ChannelRuntime {
  adapter: ChannelAdapter | null = null;
  running = false;
  readonly status: ChannelStatus = {};
  private abort: AbortController | null = null;
  private readonly queue = createSerialQueue();

  constructor(
    public record: ChannelRecord,
    private readonly factory: ChannelAdapterFactory | undefined,
    private readonly deps: RuntimeDeps,
  ) {
    this.adapter = this.build();
  }

  get capabilities(): ChannelCapabilities {
    return this.adapter?.capabilities ?? NO_CAPABILITIES;
  }

  get secretKeys(): readonly string[] {
    return this.factory?.secretKeys ?? [];
  }

  /** Starts the adapter when the record is enabled, stops it otherwise; rebuilds it first when `rebuild`. */
  sync(rebuild = false): Promise<void> {
    return this.serial(async () => {
      if (rebuild) {
        await this.stopNow();
        this.adapter = this.build();
      }
      if (this.record.enabled) await this.startNow();
      else await this.stopNow();
    });
  }

  /** Stops the adapter for good (delete, gateway close). */
  shutdown(): Promise<void> {
    return this.serial(() => this.stopNow());
  }

  /** The signal a delivery should honour besides its own deadline; null when not running. */
  get runSignal(): AbortSignal | null {
    return this.running ? (this.abort?.signal ?? null) : null;
  }

  /** Records a fault on the status, secrets scrubbed, and logs it. */
  recordError(err: unknown): string {
    const text = this.scrub(err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR_CHARS) || 'unknown error';
    this.status.last_error = text;
    this.status.last_error_at = isoTime(this.deps.clock.now());
    this.deps.logger.warn('channel fault', { channel_id: this.record.id, kind: this.record.kind, error: text });
    return text;
  }

  recordDelivery(): void {
    this.status.last_delivery_at = isoTime(this.deps.clock.now());
  }

  /** Replaces every secret config value found in `text` (defence in depth for adapters' messages). */
  scrub(text: string): string {
    let out = text;
    for (const key of this.secretKeys) {
      const v = this.record.config[key];
      if (typeof v === 'string' && v.length >= 4) out = out.split(v).join(REDACTED);
    }
    return out;
  }

  /** Delivers through the adapter under `signal`; a hung adapter is cut off when `signal` aborts. */
  async send(message: OutboundMessage, signal: AbortSignal): Promise<DeliveryResult | void> {
    const adapter = this.adapter!;
    return new Promise<DeliveryResult | void>((resolve, reject) => {
      const onAbort = (): void => reject(new Error((signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError' ? 'delivery timed out' : 'channel stopped'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      Promise.resolve()
        .then(() => adapter.send(message, signal))
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private build(): ChannelAdapter | null {
    if (!this.factory) {
      this.recordError(new Error(`no adapter registered for kind "${this.record.kind}"`));
      return null;
    }
    try {
      return this.factory.create(this.record.config);
    } catch (err) {
      this.recordError(err);
      return null;
    }
  }

  private async startNow(): Promise<void> {
    if (this.running || !this.adapter) return;
    const adapter = this.adapter;
    const abort = new AbortController();
    this.abort = abort;
    const live = (): boolean => !abort.signal.aborted;
    try {
      await bounded(
        adapter.start({
          channelId: this.record.id,
          signal: abort.signal,
          clock: this.deps.clock,
          logger: this.deps.logger,
          onInbound: (message) => {
            if (live()) this.deps.onInbound(this.record.id, message);
          },
          onError: (err) => {
            if (live()) this.recordError(err);
          },
        }),
        'start',
      );
      this.running = true;
    } catch (err) {
      this.recordError(err);
      await this.stopNow();
    }
  }

  private async stopNow(): Promise<void> {
    const abort = this.abort;
    if (!abort) return;
    this.abort = null;
    this.running = false;
    abort.abort();
    try {
      await bounded(this.adapter?.stop() ?? Promise.resolve(), 'stop');
    } catch (err) {
      this.deps.logger.warn('channel adapter failed to stop', { channel_id: this.record.id, error: this.scrub(String((err as Error)?.message ?? err)) });
    }
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    return this.queue.run(fn);
  }
}

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`adapter ${what} timed out after ${LIFECYCLE_TIMEOUT_MS} ms`)), LIFECYCLE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
