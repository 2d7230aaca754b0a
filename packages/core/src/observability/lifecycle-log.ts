import type { BusEvent, EventBus } from '../bus/types.js';
import type { Logger } from '../log.js';

/** The facts an operator wants in the log, by topic, and how each is worded. */
const LINES: Record<string, (e: BusEvent) => [message: string, fields: Record<string, unknown>]> = {
  'session.started': (e) => ['session started', pick(e.data, ['session_id', 'provider_id', 'name', 'integration_id'])],
  'session.ended': (e) => [`session ${String(e.data.state ?? 'ended')}`, pick(e.data, ['session_id', 'state', 'exit_code', 'signal', 'cursor'])],
  'session.stopped': (e) => ['session stopped', pick(e.data, ['session_id', 'state', 'exit_code', 'signal', 'cursor'])],
  'integration.registered': (e) => ['integration registered', pick(e.data, ['integration_id', 'name', 'route_prefix', 'scopes'])],
  'integration.updated': (e) => ['integration updated', pick(e.data, ['integration_id', 'changed'])],
  'integration.rotated': (e) => ['integration key rotated', pick(e.data, ['integration_id', 'name'])],
  'integration.key_rotated': (e) => ['integration key rotated', pick(e.data, ['integration_id', 'name'])],
  'integration.deregistered': (e) => ['integration deleted', pick(e.data, ['integration_id'])],
  'integration.health_change': (e) => ['integration health changed', pick(e.data, ['integration_id', 'from', 'to'])],
  'integration.health_changed': (e) => ['integration health changed', pick(e.data, ['integration_id', 'from', 'to'])],
};

/**
 * Writes session and integration lifecycle facts to the log at `info`, from the bus (so
 * the services stay unaware of logging). Each line carries the session's owner. Returns
 * the unsubscribe function.
 */
export function logLifecycle(bus: EventBus, logger: Logger): () => void {
  return bus.subscribe(['session.*', 'integration.*'], (event) => {
    const line = LINES[event.topic];
    if (!line) return;
    const [message, fields] = line(event);
    const owner = event.topic.startsWith('session.') ? { owner: event.tenant ?? 'operator' } : {};
    logger.info(message, { ...fields, ...owner });
  });
}

function pick(data: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (data[k] !== undefined) out[k] = data[k];
  return out;
}
