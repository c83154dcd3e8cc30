/** `tourniquet breakglass sweep`, by hand: the same sweep the worker runs on a schedule (activities/kubernetes/grant-sweep.ts). */
export { sweepExpiredGrants, type SweptGrant } from '../activities/kubernetes/grant-sweep';
