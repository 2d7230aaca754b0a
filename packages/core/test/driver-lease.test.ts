import { describe, expect, it } from 'vitest';
import { DriverLease } from '../src/sessions/driver-lease.js';

// The lease rules of SPEC §5.5 as a unit: one holder, explicit beats implicit, only the
// holder pauses, and every way of losing the lease resumes the PTY.

function lease() {
  const calls: boolean[] = [];
  const l = new DriverLease({ setPaused: (p) => void calls.push(p) });
  const client = () => {
    const c = { lost: 0, leaseLost: () => void c.lost++ };
    return { c, flow: l.handle(c) };
  };
  return { l, calls, client };
}

describe('driver lease', () => {
  it('lets only the holder pause, and resumes when the holder leaves', () => {
    const { l, calls, client } = lease();
    const a = client();
    const b = client();
    b.flow.pause();
    expect(calls).toEqual([]);
    expect(a.flow.claim(false)).toBe(true);
    a.flow.pause();
    expect(l.isPaused).toBe(true);
    b.flow.resume(); // not the holder: no effect
    expect(l.isPaused).toBe(true);
    a.flow.release();
    expect(l.isPaused).toBe(false);
    expect(calls).toEqual([true, false]);
  });

  it('an explicit claim takes the lease from anyone; an implicit one only from nobody or another implicit holder', () => {
    const { l, client } = lease();
    const typist = client();
    const driver = client();
    const other = client();
    expect(typist.flow.claim(false)).toBe(true);
    typist.flow.pause();
    expect(driver.flow.claim(true)).toBe(true);
    // Taking the lease resumes whatever the previous holder paused, and tells it.
    expect(l.isPaused).toBe(false);
    expect(typist.c.lost).toBe(1);
    expect(other.flow.claim(false)).toBe(false);
    expect(typist.flow.claim(false)).toBe(false);
    expect(other.flow.claim(true)).toBe(true);
    expect(driver.c.lost).toBe(1);
  });

  it('reset (stop, exit, restart) resumes and takes the lease away', () => {
    const { l, client } = lease();
    const a = client();
    a.flow.claim(true);
    a.flow.pause();
    l.reset();
    expect(l.isPaused).toBe(false);
    expect(a.c.lost).toBe(1);
    a.flow.pause();
    expect(l.isPaused).toBe(false);
  });
});
