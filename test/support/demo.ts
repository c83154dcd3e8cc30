/** What a demo incident that is approved and contained notifies, in order (every notifier sees the same). */
export const DEMO_NOTICES: string[] = [
  'incident.started',
  'approval.requested',
  'approval.closed',
  'action.started',
  'incident.contained',
  'incident.finished',
];
