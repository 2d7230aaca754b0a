import type { AgentBlockedReason, AgentKind, AgentState } from '@opendray/sdk/wire';

/** What one hook call means for the agent's state (SPEC §17). */
export interface HookSignal {
  /** e.g. `Stop`, `PermissionRequest`, `notify agent-turn-complete`. */
  name: string;
  state?: Exclude<AgentState, 'starting'>;
  reason?: AgentBlockedReason;
  /** A new turn begins (the user submitted a prompt). */
  turnStart?: boolean;
  /** Only ends `starting` (Codex fires SessionStart with the first prompt). */
  onlyFromStarting?: boolean;
  /** The final assistant message, where the CLI gives it reliably. */
  text?: string;
  /** The dialog's text as the hook describes it (the screen's text is preferred). */
  promptText?: string;
  /** The agent's own conversation id (for resume). */
  agentSessionId?: string;
  /** Codex `notify`: the conversation the notification is about (its title thread differs). */
  threadId?: string;
  /** The CLI's id of the turn (claude `prompt_id`, codex `turn_id`): a late hook of an earlier turn must not end a newer one. */
  turnId?: string;
}

const MAX_TEXT = 65_536;
const str = (v: unknown, max = MAX_TEXT): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);
/**
 * What an agent's conversation id may look like (the CLIs use UUIDs). The id becomes an
 * argument of the session's next start (`--resume <id>`, SPEC §17), and whatever runs in
 * the session can post its own hook calls: an id that could be read as a flag
 * (`--dangerously-skip-permissions`) would pass what the launch policy refuses (SPEC §15).
 */
export const AGENT_SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const agentId = (v: unknown): string | undefined => (typeof v === 'string' && AGENT_SESSION_ID.test(v) ? v : undefined);

/**
 * Maps one hook call to a signal, per CLI (AGENT-CLIS.md lists the events each fires).
 * Unknown events yield a signal with no state, so they are explained but change nothing.
 */
export function hookSignal(kind: AgentKind, event: string, payload: Record<string, unknown>): HookSignal {
  const name = event.slice(0, 64);
  const sid = agentId(payload.session_id);
  const turnId = str(payload.turn_id, 128) ?? str(payload.prompt_id, 128) ?? str(payload['turn-id'], 128);
  const base: HookSignal = { name, ...(sid ? { agentSessionId: sid } : {}), ...(turnId ? { turnId } : {}) };
  const tool = (): string => {
    const input = payload.tool_input as Record<string, unknown> | undefined;
    const detail = str(input?.command, 2000) ?? str(input?.cmd, 2000) ?? str(input?.file_path, 2000) ?? '';
    return [str(payload.tool_name, 128) ?? 'tool', detail].filter(Boolean).join(': ');
  };

  if (kind === 'codex' && (event === 'notify' || payload.type === 'agent-turn-complete')) {
    const thread = str(payload['thread-id'], 128);
    const text = str(payload['last-assistant-message']);
    return {
      name: 'notify agent-turn-complete',
      state: 'idle',
      ...(text !== undefined ? { text } : {}),
      ...(thread ? { threadId: thread } : {}),
      ...(turnId ? { turnId } : {}),
    };
  }
  switch (event) {
    case 'SessionStart':
      return { ...base, state: 'idle', onlyFromStarting: true };
    case 'UserPromptSubmit':
    case 'BeforeAgent':
      return { ...base, state: 'working', turnStart: true };
    case 'PreToolUse':
    case 'BeforeTool':
    case 'PostToolUse':
    case 'PostToolUseFailure':
    case 'AfterTool':
      return { ...base, state: 'working' };
    case 'PermissionRequest':
      return { ...base, state: 'blocked', reason: 'permission', promptText: tool() };
    case 'Notification': {
      const type = str(payload.notification_type, 64);
      if (type === 'permission_prompt' || type === 'ToolPermission') {
        return { ...base, name: `Notification ${type}`, state: 'blocked', reason: 'permission', promptText: str(payload.message, 2000) ?? '' };
      }
      return { ...base, name: `Notification ${type ?? ''}`.trim() };
    }
    case 'Stop':
    case 'StopFailure': {
      const text = str(payload.last_assistant_message);
      return { ...base, state: 'idle', ...(text !== undefined ? { text } : {}) };
    }
    case 'AfterAgent':
      // Gemini's prompt_response is garbled in 0.61 (AGENT-CLIS.md): the screen's reply is used.
      return { ...base, state: 'idle' };
    case 'SessionEnd':
      return { ...base };
    default:
      return base;
  }
}
