import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import type { Attachment, ExitInfo } from '@opendray/sdk';
import { client } from '../state/auth.js';
import { useObservable } from '../state/observable.js';
import { theme } from '../state/theme.js';
import { copyText } from '../ui/clipboard.js';
import { TERMINAL_FONT, TERMINAL_THEMES } from './terminal-theme.js';

export type TerminalStatus =
  | { kind: 'connecting' }
  | { kind: 'live'; cols: number; rows: number }
  | { kind: 'ended'; exit: ExitInfo }
  | { kind: 'error'; message: string };

/** What the toolbar may ask of the terminal. */
export interface TerminalControls {
  copySelection(): Promise<boolean>;
  /** Types text as a paste (bracketed when the program asked for it, as agent TUIs do). */
  paste(text: string): void;
  focus(): void;
}

export interface LiveTerminalProps {
  sessionId: string;
  readOnly: boolean;
  onStatus(status: TerminalStatus): void;
  /** The byte cursor of what the terminal has drawn, at most about once a second. */
  onCursor?(cursor: number): void;
  controls: { current: TerminalControls | null };
}

/**
 * A session's live terminal (SPEC §5.5): xterm.js over the `opendray.v2` stream through
 * `client.attach()`, which resumes after a network drop with no byte twice. It fits its
 * box and resizes the session, unless read-only: then it adopts the session's size and
 * sends nothing. Emits `terminal-output` on its element after each chunk is drawn and
 * marks `opendray:first-frame` once (the benchmark reads both).
 */
export function LiveTerminal(props: LiveTerminalProps): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const readOnly = useRef(props.readOnly);
  const api = useRef<{ term: Terminal; fit: FitAddon; attachment: Attachment; serverSize: { cols: number; rows: number } | null } | null>(null);
  const currentTheme = useObservable(theme);

  useEffect(() => {
    const el = host.current!;
    const term = new Terminal({
      fontFamily: TERMINAL_FONT,
      fontSize: 13,
      lineHeight: 1.15,
      cursorBlink: true,
      scrollback: 10_000,
      allowProposedApi: false,
      macOptionIsMeta: true,
      theme: TERMINAL_THEMES[theme.get()],
      disableStdin: readOnly.current,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    fitSafely(fit);
    let first = true;
    let lastCursorReport = 0;
    let serverSize: { cols: number; rows: number } | null = null;
    const adopt = (size: { cols: number; rows: number }): void => {
      serverSize = size;
      if (api.current) api.current.serverSize = size;
      if (readOnly.current && (term.cols !== size.cols || term.rows !== size.rows)) term.resize(size.cols, size.rows);
    };

    const attachment = client.attach(props.sessionId, {
      onData: (bytes) =>
        term.write(bytes, () => {
          if (first) {
            first = false;
            performance.mark('opendray:first-frame');
          }
          el.dispatchEvent(new CustomEvent('terminal-output', { detail: bytes.byteLength }));
          const now = performance.now();
          if (props.onCursor && now - lastCursorReport > 1000) {
            lastCursorReport = now;
            props.onCursor(attachment.cursor);
          }
        }),
      onHello: (hello) => {
        adopt({ cols: hello.cols, rows: hello.rows });
        props.onStatus({ kind: 'live', cols: term.cols, rows: term.rows });
      },
      onResize: adopt,
      onGap: (gap) => term.write(`\r\n\x1b[2m[${gap.to - gap.from} bytes of output were skipped]\x1b[0m\r\n`),
      onExit: (exit) => {
        term.write(`\r\n\x1b[2m[process ended${exit.exit_code !== null ? ` with code ${exit.exit_code}` : ''}${exit.signal ? ` by ${exit.signal}` : ''}]\x1b[0m\r\n`);
        props.onStatus({ kind: 'ended', exit });
      },
      onError: (err) => props.onStatus({ kind: 'error', message: err.status === 401 ? 'Signed out: the terminal was closed.' : err.message }),
    });
    if (!readOnly.current) attachment.resize(term.cols, term.rows);
    api.current = { term, fit, attachment, serverSize };

    const input = term.onData((data) => {
      if (!readOnly.current) attachment.write(data);
    });
    // Mouse reports in the legacy X10 encoding arrive as "binary" strings: one byte per char.
    const binary = term.onBinary((data) => {
      if (!readOnly.current) attachment.write(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff));
    });
    const resized = term.onResize(({ cols, rows }) => {
      if (!readOnly.current) attachment.resize(cols, rows);
      props.onStatus({ kind: 'live', cols, rows });
    });

    term.attachCustomKeyEventHandler((e) => copyPasteKeys(term, e));

    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        if (!readOnly.current) fitSafely(fit);
      });
    });
    observer.observe(el);
    term.focus();

    props.controls.current = {
      copySelection: () => copyText(term.getSelection()),
      paste: (text) => {
        if (!readOnly.current) term.paste(text);
      },
      focus: () => term.focus(),
    };

    return () => {
      observer.disconnect();
      cancelAnimationFrame(frame);
      input.dispose();
      binary.dispose();
      resized.dispose();
      attachment.close();
      term.dispose();
      api.current = null;
      props.controls.current = null;
    };
  }, [props.sessionId]);

  // Read-only: stop typing and take the session's size; back to driving: fit and resize it.
  useEffect(() => {
    readOnly.current = props.readOnly;
    const a = api.current;
    if (!a) return;
    a.term.options.disableStdin = props.readOnly;
    if (props.readOnly) {
      if (a.serverSize) a.term.resize(a.serverSize.cols, a.serverSize.rows);
    } else {
      fitSafely(a.fit);
      a.attachment.resize(a.term.cols, a.term.rows);
    }
  }, [props.readOnly]);

  useEffect(() => {
    if (api.current) api.current.term.options.theme = TERMINAL_THEMES[currentTheme];
  }, [currentTheme]);

  return <div ref={host} class={`terminal ${props.readOnly ? 'terminal-readonly' : ''}`} aria-label="Terminal" role="group" />;
}

function fitSafely(fit: FitAddon): void {
  try {
    fit.fit();
  } catch {
    // not laid out yet (hidden): the next resize fits it
  }
}

/**
 * Copy and paste that agent TUIs get right: Ctrl+Shift+C (or Ctrl+C with a selection,
 * or ⌘C) copies instead of sending ^C; Ctrl+V / Ctrl+Shift+V / ⌘V are left to the browser,
 * whose paste event xterm turns into a bracketed paste when the program enabled it.
 */
function copyPasteKeys(term: Terminal, e: KeyboardEvent): boolean {
  if (e.type !== 'keydown') return true;
  const mod = e.ctrlKey || e.metaKey;
  if (mod && e.code === 'KeyC' && (e.shiftKey || e.metaKey || term.hasSelection())) {
    if (term.hasSelection()) {
      void copyText(term.getSelection());
      if (!e.shiftKey) term.clearSelection();
    }
    e.preventDefault();
    return false;
  }
  if (mod && e.code === 'KeyV') return false;
  return true;
}
