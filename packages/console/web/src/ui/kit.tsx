import type { ButtonHTMLAttributes, ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { isOpendrayError } from '@opendray/sdk';
import { Icon, type IconName } from './icons.js';
import { copyText } from './clipboard.js';

export function Button(
  props: ButtonHTMLAttributes<HTMLButtonElement> & { icon?: IconName; variant?: 'primary' | 'danger' | 'ghost' | 'default'; busy?: boolean },
): JSX.Element {
  const { icon, variant = 'default', busy, children, class: cls, disabled, ...rest } = props;
  return (
    <button type="button" class={`btn btn-${variant} ${cls ?? ''}`} disabled={disabled || busy} aria-busy={busy ? 'true' : undefined} {...rest}>
      {busy ? <span class="spinner" aria-hidden="true" /> : icon ? <Icon name={icon} /> : null}
      {children ? <span>{children}</span> : null}
    </button>
  );
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted' | 'accent';

export function Badge({ tone, children, title }: { tone: Tone; children: ComponentChildren; title?: string }): JSX.Element {
  return (
    <span class={`badge badge-${tone}`} title={title}>
      <span class="dot" aria-hidden="true" />
      {children}
    </span>
  );
}

/**
 * A modal `<dialog>`: the browser traps focus, Escape closes it, and focus returns to what
 * opened it. Rendered only while open.
 */
export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren; footer?: ComponentChildren; wide?: boolean }): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement as HTMLElement | null;
    dialog.showModal();
    const onCancel = (e: Event): void => {
      e.preventDefault();
      props.onClose();
    };
    dialog.addEventListener('cancel', onCancel);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      opener?.focus?.();
    };
  }, []);
  return (
    <dialog ref={ref} class={`dialog ${props.wide ? 'dialog-wide' : ''}`} aria-labelledby="dialog-title">
      <header class="dialog-head">
        <h2 id="dialog-title">{props.title}</h2>
        <button type="button" class="icon-btn" onClick={props.onClose} aria-label="Close">
          <Icon name="x" />
        </button>
      </header>
      <div class="dialog-body">{props.children}</div>
      {props.footer ? <footer class="dialog-foot">{props.footer}</footer> : null}
    </dialog>
  );
}

/** Asks before something that cannot be undone. */
export function ConfirmDialog(props: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}): JSX.Element {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={props.title}
      onClose={props.onClose}
      footer={
        <>
          <Button variant="ghost" onClick={props.onClose}>Cancel</Button>
          <Button variant="danger" busy={busy} onClick={confirm}>{props.confirmLabel}</Button>
        </>
      }
    >
      {props.children}
      <ErrorText error={error} />
    </Dialog>
  );
}

/** The gateway's message for an error (its `error` field), else a generic one. */
export function messageOf(err: unknown): string {
  if (isOpendrayError(err)) {
    if (err.code === 'network_error') return 'Cannot reach the gateway.';
    if (err.code === 'rate_limited') return `${err.message}${err.retryAfter ? ` — try again in ${err.retryAfter}s` : ''}`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

export function ErrorText({ error }: { error: unknown }): JSX.Element | null {
  if (!error) return null;
  return (
    <p class="error-text" role="alert">
      <Icon name="alert" /> {messageOf(error)}
    </p>
  );
}

/** A read-only secret with a copy button. */
export function SecretField({ label, value, id }: { label: string; value: string; id: string }): JSX.Element {
  const [copied, setCopied] = useState(false);
  const copy = async (): Promise<void> => {
    setCopied(await copyText(value));
    setTimeout(() => setCopied(false), 2000);
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <div class="secret">
        <input id={id} class="mono" readOnly value={value} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} spellcheck={false} />
        <Button icon="copy" onClick={copy} aria-label={`Copy ${label}`}>{copied ? 'Copied' : 'Copy'}</Button>
      </div>
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }): JSX.Element {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children ? <div class="empty-body">{children}</div> : null}
    </div>
  );
}

export function PageHead({ title, subtitle, children }: { title: string; subtitle?: ComponentChildren; children?: ComponentChildren }): JSX.Element {
  return (
    <div class="page-head">
      <div>
        <h1>{title}</h1>
        {subtitle ? <p class="subtitle">{subtitle}</p> : null}
      </div>
      {children ? <div class="page-actions">{children}</div> : null}
    </div>
  );
}
