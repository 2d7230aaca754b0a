/** WebSocket close codes, named once (SPEC §5.5, §6). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** A frame larger than the endpoint accepts. */
  tooBig: 1009,
  /**
   * The peer stopped reading: its backlog did not move for the stall bound, or it left a
   * ping unanswered for 40 s (SPEC §5.5, §6). The reason says which; reconnecting resumes.
   */
  tryAgainLater: 1013,
  /** The credential was revoked: rotated, disabled or deleted. */
  revoked: 4001,
  /** The principal lacks the scope for what it tried. */
  missingScope: 4003,
} as const;
