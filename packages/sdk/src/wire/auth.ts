import { at, count, named, T, type Static } from './kit.js';
import { ScopeSchema } from './scopes.js';

export const LoginRequest = named(
  'LoginRequest',
  T.Object({ username: T.String({ minLength: 1, maxLength: 256 }), password: T.String({ minLength: 1, maxLength: 1024 }) }),
);
export type LoginRequest = Static<typeof LoginRequest>;

export const LoginResponse = named(
  'LoginResponse',
  T.Object({
    token: T.String({ description: 'Admin bearer token' }),
    username: T.String(),
    issued_at: at('Issue time'),
    expires_at: at('Expiry'),
  }),
);
export type LoginResponse = Static<typeof LoginResponse>;

/** `POST /auth/ws-ticket`: a single-use credential for one WebSocket upgrade (`?ticket=`), valid ~30 s. */
export const WsTicket = named(
  'WsTicket',
  T.Object(
    {
      ticket: T.String({ description: 'Single-use credential for one upgrade: odw_…' }),
      expires_at: at('Unused after this, it is refused'),
    },
    { description: 'A WebSocket ticket (docs/console.md)' },
  ),
);
export type WsTicket = Static<typeof WsTicket>;

/** The principal a credential belongs to. */
export const Me = named(
  'Me',
  T.Union(
    [
      T.Object({ kind: T.Literal('admin'), id: T.String(), username: T.String() }),
      T.Object({ kind: T.Literal('integration'), id: T.String(), name: T.String(), scopes: T.Array(ScopeSchema) }),
    ],
    { description: 'The principal a credential belongs to' },
  ),
);
export type Me = Static<typeof Me>;

export const Health = named(
  'Health',
  T.Object({
    status: T.Union([T.Literal('ok'), T.Literal('degraded')]),
    version: T.String(),
    uptime_s: count('Seconds since the gateway started'),
    reason: T.Optional(T.String({ description: 'Only when degraded: what fails (store unreachable, store file gone, writes failing, session output not written)' })),
  }),
);
export type Health = Static<typeof Health>;
