import type { EventBus } from '../bus/types.js';
import { isoTime, type Clock } from '../clock.js';
import { badRequest, conflict, GatewayError, notFound } from '../errors.js';
import type { Logger } from '../log.js';
import { newId } from '../security.js';
import { compile } from '../validation/ajv.js';
import type { ChannelRecord, ChannelStore } from '../stores/types.js';
import { inboundEvent } from './inbound.js';
import { ChannelRuntime } from './runtime.js';
import type { ChannelAdapterFactory, InboundMessage, OutboundMessage } from './types.js';

const CONFIG = { root: 'config', prefix: 'config' };

/** At most this many channels per gateway: every collection is bounded. */
const MAX_CHANNELS = 1000;
/** A delivery not finished by then fails with 502, whatever the adapter's own timeout. @default 30 s */
const DELIVERY_TIMEOUT_MS = 30_000;

export interface CreateChannelInput {
  kind: string;
  name: string;
  config: Record<string, unknown>;
  enabled: boolean;
}

export interface ChannelPatch {
  name?: string;
  enabled?: boolean;
  /** Merged into the stored config; a key set to null is removed. */
  config?: Record<string, unknown>;
}

/** What a successful delivery reports. */
export interface DeliveryOutcome {
  conversation_id: string;
  message_id?: string;
  duration_ms: number;
}

export interface ChannelManagerDeps {
  store: ChannelStore;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  factories: Readonly<Record<string, ChannelAdapterFactory>>;
  deliveryTimeoutMs?: number;
}

/**
 * The channel service (SPEC §7): owns every channel's record (persisted) and runtime
 * (adapter, running, status), and publishes the channel topics of SPEC §6. Channel events
 * carry no tenant: every integration holding the event scope (and `channel:receive`) sees them.
 */
export function createChannelManager(deps: ChannelManagerDeps) {
  const channels = new Map<string, ChannelRuntime>();
  const runtimeDeps = {
    clock: deps.clock,
    logger: deps.logger,
    onInbound: (channelId: string, message: InboundMessage) => publishInbound(channelId, message),
  };

  function publishInbound(channelId: string, message: InboundMessage): void {
    const event = inboundEvent(channelId, message);
    if (event.topic === 'channel.command_received') deps.bus.publish(event.topic, event.data);
    else deps.bus.publish(event.topic, event.data);
  }

  function runtimeOf(id: string): ChannelRuntime {
    const rt = channels.get(id);
    if (!rt) throw notFound('channel');
    return rt;
  }

  function factoryOf(kind: string): ChannelAdapterFactory {
    const factory = Object.hasOwn(deps.factories, kind) ? deps.factories[kind] : undefined;
    if (!factory) throw badRequest(`kind: must be one of ${Object.keys(deps.factories).join(', ')}`);
    return factory;
  }

  function assertNameFree(name: string, exceptId?: string): void {
    for (const rt of channels.values()) {
      if (rt.record.id !== exceptId && rt.record.name === name) throw conflict(`a channel named "${name}" already exists`);
    }
  }

  // Compiled now, so a factory with a bad schema fails createGateway, naming its kind.
  for (const [kind, factory] of Object.entries(deps.factories)) {
    if (factory.configSchema) compile(factory.configSchema, `channelAdapters.${kind}.configSchema`);
  }

  function validated(factory: ChannelAdapterFactory, config: Record<string, unknown>): Record<string, unknown> {
    const present = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== null));
    if (factory.configSchema) compile(factory.configSchema, 'configSchema').check(present, CONFIG);
    try {
      return factory.validateConfig(present);
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) throw badRequest(err.message);
      throw err;
    }
  }

  return {
    /** Loads every stored channel and starts the enabled ones (a failing one only records its error). */
    async start(): Promise<void> {
      for (const record of await deps.store.list()) {
        if (channels.has(record.id)) continue;
        const factory = Object.hasOwn(deps.factories, record.kind) ? deps.factories[record.kind] : undefined;
        channels.set(record.id, new ChannelRuntime(record, factory, runtimeDeps));
      }
      await Promise.all([...channels.values()].map((rt) => rt.sync()));
    },

    /** Stops every adapter (long polls are aborted). */
    async stop(): Promise<void> {
      await Promise.all([...channels.values()].map((rt) => rt.shutdown()));
    },

    list(): ChannelRuntime[] {
      return [...channels.values()].sort((a, b) => (a.record.created_at ?? '').localeCompare(b.record.created_at ?? '') || a.record.id.localeCompare(b.record.id));
    },

    get: runtimeOf,

    async create(input: CreateChannelInput): Promise<ChannelRuntime> {
      const factory = factoryOf(input.kind);
      const config = validated(factory, input.config);
      // Checked and reserved without yielding, so concurrent creates of one name cannot both win.
      assertNameFree(input.name);
      if (channels.size >= MAX_CHANNELS) throw conflict(`a gateway holds at most ${MAX_CHANNELS} channels`);
      const record: ChannelRecord = {
        id: newId('ch'),
        kind: input.kind,
        name: input.name,
        enabled: input.enabled,
        capabilities: { inbound: false, outbound: false, commands: false },
        config,
        created_at: isoTime(deps.clock.now()),
      };
      const rt = new ChannelRuntime(record, factory, runtimeDeps);
      record.capabilities = rt.capabilities;
      channels.set(record.id, rt);
      try {
        await deps.store.put(record);
      } catch (err) {
        channels.delete(record.id);
        throw err;
      }
      await rt.sync();
      return rt;
    },

    async update(id: string, patch: ChannelPatch): Promise<ChannelRuntime> {
      const rt = runtimeOf(id);
      const before = rt.record;
      let config = before.config;
      if (patch.config) {
        const merged: Record<string, unknown> = { ...before.config };
        for (const [k, v] of Object.entries(patch.config)) {
          if (v === null) delete merged[k];
          else merged[k] = v;
        }
        config = validated(factoryOf(before.kind), merged);
      }
      if (patch.name !== undefined) assertNameFree(patch.name, id);
      const reconfigured = patch.config !== undefined;
      rt.record = { ...before, name: patch.name ?? before.name, enabled: patch.enabled ?? before.enabled, config };
      try {
        await deps.store.put(rt.record);
      } catch (err) {
        rt.record = before;
        throw err;
      }
      await rt.sync(reconfigured);
      if (reconfigured) {
        rt.record = { ...rt.record, capabilities: rt.capabilities };
        await deps.store.put(rt.record);
      }
      return rt;
    },

    async remove(id: string): Promise<void> {
      const rt = runtimeOf(id);
      channels.delete(id); // gone for new calls at once
      await rt.shutdown();
      await deps.store.delete(id);
    },

    /**
     * Delivers synchronously under a deadline. 404 unknown, 409 not running or no outbound,
     * 400 a message the adapter refuses, 502 a failed delivery (also recorded on the status).
     * `publish` emits `channel.message_sent` on success (not for `/test`).
     */
    async deliver(id: string, message: OutboundMessage, publish: boolean): Promise<DeliveryOutcome> {
      const rt = runtimeOf(id);
      const runSignal = rt.runSignal;
      if (!runSignal || !rt.adapter) throw conflict('channel is not running');
      if (!rt.capabilities.outbound) throw conflict('channel cannot send messages');
      const problem = rt.adapter.checkMessage?.(message) ?? null;
      if (problem) throw badRequest(problem);
      const began = deps.clock.now();
      const signal = AbortSignal.any([runSignal, AbortSignal.timeout(deps.deliveryTimeoutMs ?? DELIVERY_TIMEOUT_MS)]);
      let result;
      try {
        result = await rt.send(message, signal);
      } catch (err) {
        const text = rt.recordError(err);
        throw new GatewayError('upstream_error', `delivery failed: ${text}`);
      }
      rt.recordDelivery();
      const conversationId = result?.conversation_id ?? message.conversation_id ?? '';
      if (publish) deps.bus.publish('channel.message_sent', { channel_id: id, conversation_id: conversationId, text: message.text });
      const outcome: DeliveryOutcome = { conversation_id: conversationId, duration_ms: deps.clock.now() - began };
      if (result?.message_id !== undefined) outcome.message_id = result.message_id;
      return outcome;
    },

    /** Publishes messages that arrived over a channel's webhook; 409 when it is not running. */
    receive(id: string, messages: readonly InboundMessage[]): void {
      const rt = runtimeOf(id);
      if (!rt.running) throw conflict('channel is not running');
      for (const message of messages) publishInbound(id, message);
    },
  };
}

export type ChannelManager = ReturnType<typeof createChannelManager>;
