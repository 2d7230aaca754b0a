import { at, AnyObject, count, idOf, named, NO_CONTROL, platformId, REASON, T, type Static, withOptions } from './kit.js';

export const ChannelCapabilities = named(
  'ChannelCapabilities',
  T.Object({ inbound: T.Boolean(), outbound: T.Boolean(), commands: T.Boolean() }),
);
export type ChannelCapabilities = Static<typeof ChannelCapabilities>;

/** A chat adapter (SPEC §7). */
export const Channel = named(
  'Channel',
  T.Object(
    {
      id: idOf('ch', 'Channel id'),
      kind: T.String({ description: 'Adapter kind, e.g. webhook, telegram' }),
      name: T.String(),
      enabled: T.Boolean(),
      running: T.Boolean(),
      capabilities: ChannelCapabilities,
      config: T.Optional(AnyObject('Secrets redacted as "********" for integrations')),
      status: T.Optional(
        T.Object(
          {
            last_error: T.Optional(T.String()),
            last_error_at: T.Optional(at('Last failure')),
            last_delivery_at: T.Optional(at('Last delivery')),
          },
          { description: 'Admins only' },
        ),
      ),
      created_at: T.Optional(at('Creation time')),
    },
    { description: 'A chat adapter (SPEC §7)' },
  ),
);
export type Channel = Static<typeof Channel>;

export const ChannelList = named('ChannelList', T.Object({ channels: T.Array(Channel) }));
export type ChannelList = Static<typeof ChannelList>;

/** Longest outbound message text accepted (adapters split it further where the platform needs). */
export const MAX_MESSAGE_CHARS = 65_536;

const NAME = T.String({
  maxLength: 64,
  pattern: `^[^\\u0000-\\u001f\\u007f]*\\S${NO_CONTROL.slice(1)}`,
  [REASON]: 'must be 1–64 characters without control characters',
});
const TEXT = T.String({ minLength: 1, maxLength: MAX_MESSAGE_CHARS });
const conversationId = () => platformId('Where to post; a numeric id (a Telegram chat) may be sent as an integer');

/** `POST /channels` (admin). */
export const CreateChannelRequest = named(
  'CreateChannelRequest',
  T.Object({
    kind: T.String({ description: 'A registered adapter kind, e.g. webhook, telegram', minLength: 1 }),
    name: NAME,
    config: T.Optional(AnyObject('Adapter config (docs/channels.md); a key set to null is left out')),
    enabled: T.Optional(T.Boolean({ description: 'Default true', default: true })),
  }),
);
export type CreateChannelRequest = Static<typeof CreateChannelRequest>;

/** `PATCH /channels/{id}` (admin): config is merged; a key set to null is removed. */
export const UpdateChannelRequest = named(
  'UpdateChannelRequest',
  T.Object({
    name: T.Optional(NAME),
    enabled: T.Optional(T.Boolean()),
    config: T.Optional(AnyObject('Merged into the stored config; null removes a key')),
  }),
);
export type UpdateChannelRequest = Static<typeof UpdateChannelRequest>;

export const SendChannelMessageRequest = named(
  'SendChannelMessageRequest',
  T.Object({ text: TEXT, conversation_id: T.Optional(conversationId()) }),
);
export type SendChannelMessageRequest = Static<typeof SendChannelMessageRequest>;

export const ChannelTestRequest = named(
  'ChannelTestRequest',
  T.Object({ text: T.Optional(withOptions(TEXT, { description: 'Default "opendray test message"' })), conversation_id: T.Optional(conversationId()) }),
);
export type ChannelTestRequest = Static<typeof ChannelTestRequest>;

/** The 202 answer of `POST /channels/{id}/messages`. */
export const ChannelDelivery = named(
  'ChannelDelivery',
  T.Object(
    {
      status: T.Literal('delivered'),
      channel_id: T.String(),
      conversation_id: T.String(),
      message_id: T.Optional(T.String()),
      duration_ms: T.Number({ minimum: 0 }),
    },
    { description: 'A message the platform accepted (docs/channels.md)' },
  ),
);
export type ChannelDelivery = Static<typeof ChannelDelivery>;

export const ChannelTestResult = named(
  'ChannelTestResult',
  T.Object({
    ok: T.Boolean({ description: 'Whether the test message was delivered' }),
    conversation_id: T.Optional(T.String()),
    message_id: T.Optional(T.String()),
    duration_ms: T.Optional(T.Number({ minimum: 0 })),
    error: T.Optional(T.String({ description: 'Why delivery failed (ok: false)' })),
  }),
);
export type ChannelTestResult = Static<typeof ChannelTestResult>;

/** Inbound message of a webhook channel, proven by its secret or signature (SPEC §7). */
export const WebhookInbound = named(
  'WebhookInbound',
  T.Object(
    {
      text: T.String({ minLength: 1 }),
      conversation_id: T.Optional(conversationId()),
      author: T.Optional(platformId('Display name of the sender')),
      author_id: T.Optional(platformId("The platform's id of the sender")),
      message_id: T.Optional(platformId("The platform's id of the message")),
    },
    { description: 'Inbound message of a webhook channel, proven by its secret (bearer or X-OpenDray-Channel-Token) or signature' },
  ),
);
export type WebhookInbound = Static<typeof WebhookInbound>;

export const WebhookReceipt = named('WebhookReceipt', T.Object({ ok: T.Literal(true), received: count('Messages accepted') }));
export type WebhookReceipt = Static<typeof WebhookReceipt>;
