/** How an incident's alerts resolving shows on it (status, Slack): see alert-lifecycle.ts. */

export interface AlertResolution {
  /** what the route says a resolution does: `note` it, or `withdraw` open approval requests */
  on_resolved: 'note' | 'withdraw';
  /** when the last of the incident's distinct alerts was resolved; absent while any of them fires */
  all_resolved_at?: string;
  /** when open approval requests were withdrawn because every alert was resolved (onResolved withdraw) */
  withdrawn_at?: string;
}
