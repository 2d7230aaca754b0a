/** WebSocket close codes, named once (SPEC §5.5, §6). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** A frame larger than the endpoint accepts. */
  tooBig: 1009,
  /** The peer could not keep up; its backlog was dropped (default stream mode). */
  tryAgainLater: 1013,
  /** The credential was revoked: rotated, disabled or deleted. */
  revoked: 4001,
  /** The principal lacks the scope for what it tried. */
  missingScope: 4003,
} as const;
