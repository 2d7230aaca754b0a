/**
 * What the stand-in model answers, decided from the conversation it is sent (so every CLI,
 * whatever it sends around the turn, gets the same scripted behaviour):
 * - the newest message is a tool result → the final text `Tool finished: <result head>`;
 * - the newest user text contains `please run` → a shell tool call (`touch <file>` in cwd),
 *   which needs permission in every CLI (writes a file; Codex asks for escalation);
 * - anything else → a plain reply `Stand-in reply <n>: <the prompt's first words>`.
 */
export type ScriptedAnswer =
  | { kind: 'text'; text: string }
  | { kind: 'tool_call'; command: string; justification: string };

/** What an API adapter extracts from one request before asking the script. */
export interface ConversationView {
  /** The newest user-typed text (not a tool result), or '' when none. */
  lastUserText: string;
  /** True when the newest message is a tool result. */
  endsWithToolResult: boolean;
  /** The tool result's text, when it ends with one. */
  toolResultText: string;
}

/** The file a `please run` turn asks the agent to create (relative to its cwd). */
export const TOOL_FILE = 'stand-in-tool-output.txt';

export class Script {
  private replies = 0;

  answer(view: ConversationView): ScriptedAnswer {
    if (view.endsWithToolResult) {
      const head = view.toolResultText.replace(/\s+/g, ' ').trim().slice(0, 40).trim();
      return { kind: 'text', text: `Tool finished: ${head || 'no output'}` };
    }
    if (/please run/i.test(view.lastUserText)) {
      return { kind: 'tool_call', command: `touch ${TOOL_FILE}`, justification: 'The user asked to create a file.' };
    }
    this.replies++;
    const words = view.lastUserText.replace(/\s+/g, ' ').trim().split(' ').slice(0, 6).join(' ');
    return { kind: 'text', text: `Stand-in reply ${this.replies}: ${words}` };
  }
}
