import type { Topics } from '@opendray/sdk/wire';
import type { InboundMessage } from './types.js';

/** A command name: what follows `/`, up to whitespace, minus a Telegram-style `@botname`. */
const COMMAND = /^\/([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})(?:@[A-Za-z0-9_]{1,64})?(?:\s+([\s\S]*))?$/;

/** The topic and data an inbound message publishes (SPEC §6, §7). */
export type InboundEvent =
  | { topic: 'channel.command_received'; data: Topics['channel.command_received'] }
  | { topic: 'channel.message_received'; data: Topics['channel.message_received'] };

/**
 * `/command args` → `channel.command_received` with `command` lower-cased and without the
 * slash, `args` split on whitespace; anything else → `channel.message_received`. Both keep
 * the original `text`, and the optional `author_id` / `message_id` when the adapter gave them.
 */
export function inboundEvent(channelId: string, message: InboundMessage): InboundEvent {
  const base: { channel_id: string; conversation_id: string; author: string; author_id?: string; message_id?: string } = {
    channel_id: channelId,
    conversation_id: message.conversation_id,
    author: message.author,
  };
  if (message.author_id !== undefined) base.author_id = message.author_id;
  if (message.message_id !== undefined) base.message_id = message.message_id;
  const m = COMMAND.exec(message.text.trim());
  if (m) {
    const rest = (m[2] ?? '').trim();
    return {
      topic: 'channel.command_received',
      data: { ...base, command: m[1]!.toLowerCase(), args: rest ? rest.split(/\s+/) : [], text: message.text },
    };
  }
  return { topic: 'channel.message_received', data: { ...base, text: message.text } };
}
