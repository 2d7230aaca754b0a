/** A stream client that can hold a session's driver lease. */
export interface LeaseHolder {
  /** The lease went to another client (or the session stopped): the holder is a viewer again. */
  leaseLost?(): void;
}

/** The driver lease as one stream client sees it (SPEC §5.5). */
export interface FlowHandle {
  /**
   * Asks for the lease. `explicit` (`?flow=ack`, a v2 `flow` frame) takes it from anyone;
   * an implicit claim (the client typed) takes it only from no one or another implicit
   * holder, so a driver that asked for flow control keeps it while others type.
   * Returns whether this client holds it now.
   */
  claim(explicit: boolean): boolean;
  /** Gives the lease back (the PTY resumes if this client had paused it). */
  release(): void;
  /** Pauses the PTY; only the holder can. */
  pause(): void;
  /** Resumes the PTY; only the holder can. */
  resume(): void;
}

/** What the lease pauses and resumes: the session's PTY reads. */
export interface OutputGate {
  setPaused(paused: boolean): void;
}

/**
 * The one driver of a session (SPEC §5.5): the client whose reading paces the PTY, like
 * a real terminal — VS Code's pty host and ttyd do the same. At most one client holds it,
 * so at most one client can pause the PTY, and only a client with `session:input` ever
 * asks (the stream endpoint checks). Losing the lease, leaving or the session stopping
 * always resumes the PTY: nothing waits for a client that is gone.
 */
export class DriverLease {
  private holder: LeaseHolder | null = null;
  private explicit = false;
  private paused = false;

  constructor(private readonly gate: OutputGate) {}

  /** The lease on behalf of one client. */
  handle(client: LeaseHolder): FlowHandle {
    return {
      claim: (explicit) => this.claim(client, explicit),
      release: () => this.release(client),
      pause: () => this.holder === client && this.setPaused(true),
      resume: () => this.holder === client && this.setPaused(false),
    };
  }

  /** Whether the holder has the PTY paused now. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Takes the lease from whoever holds it and resumes the PTY (stop, exit, a new process). */
  reset(): void {
    const previous = this.holder;
    this.holder = null;
    this.explicit = false;
    this.setPaused(false);
    previous?.leaseLost?.();
  }

  private claim(client: LeaseHolder, explicit: boolean): boolean {
    if (this.holder === client) {
      this.explicit ||= explicit;
      return true;
    }
    if (this.holder && this.explicit && !explicit) return false;
    const previous = this.holder;
    this.holder = client;
    this.explicit = explicit;
    this.setPaused(false);
    previous?.leaseLost?.();
    return true;
  }

  private release(client: LeaseHolder): void {
    if (this.holder !== client) return;
    this.holder = null;
    this.explicit = false;
    this.setPaused(false);
  }

  private setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    this.gate.setPaused(paused);
  }
}
