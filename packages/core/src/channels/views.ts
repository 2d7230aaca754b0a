import { REDACTED, type Channel } from '@opendray/sdk/wire';
import type { Principal } from '../auth/principal.js';
import type { ChannelRuntime } from './runtime.js';

export { REDACTED };

/**
 * A channel as `principal` may see it. Admins: everything, secrets and status included.
 * Integrations: the SPEC §7 shape plus the config with every secret replaced by `"********"`.
 */
export function channelView(rt: ChannelRuntime, principal: Principal): Channel {
  const { record } = rt;
  const view: Channel = {
    id: record.id,
    kind: record.kind,
    name: record.name,
    enabled: record.enabled,
    running: rt.running,
    capabilities: { ...rt.capabilities },
  };
  if (principal.kind === 'admin') {
    view.config = { ...record.config };
    view.status = { ...rt.status };
  } else {
    view.config = redacted(record.config, rt.secretKeys);
  }
  if (record.created_at) view.created_at = record.created_at;
  return view;
}

function redacted(config: Record<string, unknown>, secretKeys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) out[k] = secretKeys.includes(k) ? REDACTED : v;
  return out;
}
