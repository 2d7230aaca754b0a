import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { hasAgent } from '../state/agent.js';
import { client } from '../state/auth.js';
import { forgetSession, live, putSession, refreshSession } from '../state/live.js';
import { useObservable } from '../state/observable.js';
import { navigate } from '../state/router.js';
import { formatBytes, shortPath } from '../format.js';
import { readClipboard } from '../ui/clipboard.js';
import { Icon } from '../ui/icons.js';
import { Button, ConfirmDialog, Empty, messageOf } from '../ui/kit.js';
import { toast } from '../ui/toast.js';
import { AgentPanel } from './agent-panel.js';
import { StateBadge, isLive, ownerOf } from './session-badges.js';
import { LiveTerminal, type TerminalControls, type TerminalStatus } from './terminal.js';

/** One session: its live terminal, its controls and, for agents, the agent panel. */
export function SessionView({ id }: { id: string }): JSX.Element {
  const { sessions, integrations, notes } = useObservable(live);
  const session = sessions.get(id);
  const [readOnly, setReadOnly] = useState(false);
  const [status, setStatus] = useState<TerminalStatus>({ kind: 'connecting' });
  const [generation, setGeneration] = useState(0);
  const [cursor, setCursor] = useState(0);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const controls = useRef<TerminalControls | null>(null);

  const [missing, setMissing] = useState(false);

  // The terminal attaches at once; the session's JSON arrives alongside (one round trip less to the first frame).
  useEffect(() => {
    void refreshSession(id).then(() => setMissing(!live.get().sessions.has(id)));
  }, [id]);

  if (missing && !session) {
    return (
      <Empty title="No such session">
        <p>It was deleted, or never existed.</p>
        <a class="btn btn-default" href="#/sessions">Back to sessions</a>
      </Empty>
    );
  }

  const act = async (label: string, fn: () => Promise<void>): Promise<void> => {
    setBusy(label);
    try {
      await fn();
    } catch (err) {
      toast(messageOf(err), 'bad');
    } finally {
      setBusy(null);
    }
  };
  const stop = (): Promise<void> => act('stop', async () => putSession(await client.stopSession(id)));
  const start = (): Promise<void> =>
    act('start', async () => {
      putSession(await client.startSession(id));
      setStatus({ kind: 'connecting' });
      setGeneration((g) => g + 1); // a fresh terminal attaches to the restarted process
    });
  const download = (): Promise<void> =>
    act('download', async () => {
      const { bytes } = await client.getBuffer(id);
      const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${(session?.name || id).replace(/[^\w.-]+/g, '_')}-${id}.log`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
  const copy = async (): Promise<void> => {
    toast((await controls.current?.copySelection()) ? 'Selection copied' : 'Select text in the terminal first', 'ok');
    controls.current?.focus();
  };
  const paste = async (): Promise<void> => {
    const text = await readClipboard();
    if (text === null) toast('Press Ctrl+V (⌘V) in the terminal to paste', 'ok');
    else controls.current?.paste(text);
    controls.current?.focus();
  };

  const running = session ? isLive(session) : false;
  const agentShown = session ? hasAgent(session) : false;
  return (
    <section class={`session ${agentShown ? 'session-with-agent' : ''}`} aria-labelledby="session-title">
      <div class="session-head">
        <a class="icon-btn" href="#/sessions" aria-label="Back to sessions" title="Back to sessions">
          <Icon name="back" />
        </a>
        <div class="session-title">
          <h1 id="session-title">{session ? session.name || session.id : id}</h1>
          {session ? (
            <p class="session-meta">
              <StateBadge state={session.state} />
              <span>{session.provider_id}</span>
              <span>{ownerOf(session, integrations)}</span>
              <span class="mono" title={session.cwd}>{shortPath(session.cwd)}</span>
              <span title="Output so far">{formatBytes(Math.max(session.bytes_out, cursor))}</span>
              {status.kind === 'live' ? <span class="mono">{status.cols}×{status.rows}</span> : null}
            </p>
          ) : (
            <p class="session-meta muted">Loading…</p>
          )}
        </div>
        <div class="toolbar" role="toolbar" aria-label="Session actions">
          <label class="switch" title="Watch without typing or resizing">
            <input type="checkbox" role="switch" checked={readOnly} onChange={(e) => setReadOnly(e.currentTarget.checked)} />
            <span class="switch-track" aria-hidden="true" />
            <span>Read-only</span>
          </label>
          <Button icon="copy" variant="ghost" onClick={copy} aria-label="Copy selection" title="Copy selection (Ctrl+Shift+C)"><span class="hide-narrow">Copy</span></Button>
          <Button icon="clipboard" variant="ghost" onClick={paste} disabled={readOnly || !running} aria-label="Paste" title="Paste (Ctrl+V)"><span class="hide-narrow">Paste</span></Button>
          <Button icon="download" variant="ghost" onClick={download} busy={busy === 'download'} aria-label="Download buffer" title="Download the output buffer"><span class="hide-narrow">Buffer</span></Button>
          {!session ? null : running ? (
            <Button icon="stop" onClick={stop} busy={busy === 'stop'} aria-label="Stop session"><span class="hide-narrow">Stop</span></Button>
          ) : (
            <Button icon="play" onClick={start} busy={busy === 'start'} aria-label="Start session"><span class="hide-narrow">Start</span></Button>
          )}
          <Button icon="trash" variant="danger" onClick={() => setConfirmDelete(true)} aria-label="Delete session" title="Delete session" />
        </div>
      </div>
      {status.kind === 'error' ? (
        <p class="banner banner-bad" role="alert">{status.message}</p>
      ) : readOnly ? (
        <p class="banner" role="status">Read-only: you are watching; keystrokes and resizes are not sent.</p>
      ) : null}
      <div class="session-body">
        <div class="terminal-frame">
          <LiveTerminal key={`${id}:${generation}`} sessionId={id} readOnly={readOnly} onStatus={setStatus} onCursor={setCursor} controls={controls} />
        </div>
        {session && hasAgent(session) ? <AgentPanel key={id} session={session} notes={notes.get(id)} /> : null}
      </div>
      {confirmDelete ? (
        <ConfirmDialog
          title="Delete this session?"
          confirmLabel="Delete"
          onClose={() => setConfirmDelete(false)}
          onConfirm={async () => {
            await client.deleteSession(id);
            forgetSession(id);
            toast('Session deleted');
            navigate({ view: 'sessions' });
          }}
        >
          <p>
            <strong>{session?.name || id}</strong> will be stopped if it runs, and its output buffer is gone for good.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
