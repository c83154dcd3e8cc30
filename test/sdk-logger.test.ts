/**
 * Temporal SDK logs go through pino: one JSON line each, at LOG_LEVEL, and a failure we classified
 * ourselves (Kubernetes not configured, Slack down) without a stack trace.
 */
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { sdkLogger } from '../worker/runtime';
import { FAILURE_TYPES } from '../workflows/failure-types';

function capture(level: string) {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) });
  return { lines, sdk: sdkLogger(logger, level) };
}

describe('the Temporal SDK logger', () => {
  it('should write an expected activity failure as one JSON line, with type and message but no stack', () => {
    const { lines, sdk } = capture('info');
    const error = ApplicationFailure.nonRetryable('Kubernetes is not configured on this worker', FAILURE_TYPES.KubernetesNotConfigured);
    sdk.warn('Activity failed', { error, durationMs: 3, activityType: 'cordonNode', sdkComponent: 'activity' });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({
      level: 40,
      msg: 'Activity failed',
      component: 'temporal-sdk',
      activityType: 'cordonNode',
      failure: { type: FAILURE_TYPES.KubernetesNotConfigured, message: 'Kubernetes is not configured on this worker', nonRetryable: true },
    });
    expect(lines[0]).not.toContain('stack');
  });

  it('should recognise a workflow failure that crossed from the workflow thread as a plain Error', () => {
    const { lines, sdk } = capture('info');
    const crossed = new Error('incident inc-1 failed: Kubernetes is not configured on this worker');
    crossed.stack = `ApplicationFailure: ${crossed.message}\n    at nonRetryable (workflows/incident.ts:139:33)`;
    sdk.warn('Workflow failed', { error: crossed, workflowId: 'inc-1' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'Workflow failed', failure: { message: crossed.message } });
    expect(lines[0]).not.toContain('stack');
  });

  it('should keep the stack of an unexpected error, still on one line', () => {
    const { lines, sdk } = capture('info');
    sdk.error('Activity failed', { error: new TypeError('cannot read properties of undefined') });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).err).toMatchObject({
      type: 'TypeError',
      message: 'cannot read properties of undefined',
      stack: expect.stringContaining('TypeError'),
    });
  });

  it('should follow LOG_LEVEL', () => {
    const quiet = capture('error');
    quiet.sdk.warn('Activity failed', { error: ApplicationFailure.retryable('Slack unreachable', FAILURE_TYPES.SlackUnavailable) });
    quiet.sdk.info('Worker state changed');
    expect(quiet.lines).toEqual([]);
    const chatty = capture('debug');
    chatty.sdk.debug('Activity started');
    expect(chatty.lines).toHaveLength(1);
  });
});
