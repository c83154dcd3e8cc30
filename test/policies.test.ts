import { ApplicationFailure } from '@temporalio/common';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPolicyFile, parsePolicyFile, PolicyBook, PolicyFileError } from '../activities/approvals/policies';
import { FAILURE_TYPES } from '../workflows/failure-types';

const shippedPath = fileURLToPath(new URL('../config/policies.json', import.meta.url));
const shipped: unknown = JSON.parse(readFileSync(shippedPath, 'utf8'));

function file(policies: Record<string, unknown>, groups: Record<string, string[]> = { oncall: ['alice', 'bob'] }) {
  return { groups, policies };
}

function parseError(raw: unknown): PolicyFileError {
  try {
    parsePolicyFile(raw, 'policies.json');
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyFileError);
    return err as PolicyFileError;
  }
  throw new Error('expected the policy file to be rejected');
}

describe('parsePolicyFile', () => {
  it('accepts the shipped config/policies.json', () => {
    const parsed = parsePolicyFile(shipped);
    expect(Object.keys(parsed.policies)).toEqual(['standard', 'two-person']);
    expect(loadPolicyFile(shippedPath)).toEqual(parsed);
  });

  it('fills in defaults for quorum, timeout, reminders and reasons', () => {
    expect(parsePolicyFile(file({ minimal: { approvers: ['alice'] } })).policies.minimal).toEqual({
      approvers: ['alice'],
      quorum: 1,
      timeout: 30 * 60_000,
      reminders: [],
      requireReasonOnApprove: false,
    });
  });

  it('rejects a reference to an undefined group, naming the policy and the group', () => {
    expect(parseError(file({ standard: { approvers: ['@oncall', '@secops'] } })).message).toMatchInlineSnapshot(`
      "policies.json is invalid:
      ✖ unknown group @secops
        → at policies.standard"
    `);
  });

  it('rejects a reference to an undefined group named like an Object member', () => {
    expect(parseError(file({ standard: { approvers: ['@constructor', 'alice'] } }, {})).message).toContain('unknown group @constructor');
  });

  it('rejects an undefined group in the escalation list', () => {
    const err = parseError(file({ standard: { approvers: ['alice'], escalation: { after: '5m', notify: ['@leads'] } } }));
    expect(err.message).toContain('unknown group @leads');
    expect(err.message).toContain('policies.standard');
  });

  it('rejects a duration that is not one, naming the field', () => {
    expect(parseError(file({ standard: { approvers: ['alice'], timeout: '30 minutes-ish' } })).message).toMatchInlineSnapshot(`
      "policies.json is invalid:
      ✖ must be a duration like "90s", "30m" or "2h"
        → at policies.standard.timeout"
    `);
    expect(parseError(file({ standard: { approvers: ['alice'], reminders: ['5m', '0s'] } })).message).toContain(
      'policies.standard.reminders[1]',
    );
    expect(parseError(file({ standard: { approvers: ['alice'], timeout: '' } })).message).toContain('→ at policies.standard.timeout');
  });

  it('rejects a quorum of 0', () => {
    expect(parseError(file({ standard: { approvers: ['alice'], quorum: 0 } })).message).toMatchInlineSnapshot(`
      "policies.json is invalid:
      ✖ Too small: expected number to be >=1
        → at policies.standard.quorum"
    `);
  });

  it('rejects unknown keys, in a policy and at the top level', () => {
    expect(parseError(file({ standard: { approvers: ['alice'], approver: ['bob'] } })).message).toMatchInlineSnapshot(`
      "policies.json is invalid:
      ✖ Unrecognized key: "approver"
        → at policies.standard"
    `);
    expect(parseError({ ...file({ standard: { approvers: ['alice'] } }), polices: {} }).message).toContain('polices');
  });

  it('rejects a group that lists another group: nesting would silently become a literal identity', () => {
    expect(() => parsePolicyFile({ groups: { a: ['@b'], b: ['bob'] }, policies: { p: { approvers: ['@a'] } } })).toThrow(
      /groups list people, not other groups/,
    );
  });

  it('rejects a file with no policies', () => {
    expect(parseError(file({})).message).toMatchInlineSnapshot(`
      "policies.json is invalid:
      ✖ define at least one policy
        → at policies"
    `);
  });

  it('rejects a policy without approvers', () => {
    expect(parseError(file({ standard: { approvers: [] } })).message).toContain('policies.standard.approvers');
  });

  it('names the file it could not read', () => {
    expect(() => loadPolicyFile('/nonexistent/policies.json')).toThrow(/^cannot read policy file \/nonexistent\/policies\.json: ENOENT/);
  });
});

describe('PolicyBook', () => {
  const book = new PolicyBook(parsePolicyFile(shipped));
  const req = (policy?: string) => ({ playbook: 'demo', step: 'isolate-host', ...(policy === undefined ? {} : { policy }) });

  it('resolves a policy with groups expanded and durations in ms', () => {
    expect(book.resolve(req('standard'))).toEqual({
      name: 'standard',
      approvers: ['alice', 'bob', 'carol'],
      quorum: 1,
      timeoutMs: 30 * 60_000,
      remindersMs: [10 * 60_000, 20 * 60_000],
      escalation: { afterMs: 20 * 60_000, notify: ['dana'] },
      requireReasonOnApprove: false,
    });
    expect(book.resolve(req('two-person'))).toEqual({
      name: 'two-person',
      approvers: ['alice', 'bob', 'carol', 'dana'],
      quorum: 2,
      timeoutMs: 15 * 60_000,
      remindersMs: [5 * 60_000],
      requireReasonOnApprove: true,
    });
  });

  it('lists each approver once when groups and names overlap', () => {
    const overlapping = new PolicyBook(
      parsePolicyFile({
        groups: { oncall: ['alice', 'bob'], leads: ['bob', 'dana'] },
        policies: { p: { approvers: ['@oncall', 'alice', '@leads', 'erin'], channel: '#sec' } },
      }),
    );
    expect(overlapping.resolve(req('p'))).toMatchObject({ approvers: ['alice', 'bob', 'dana', 'erin'], channel: '#sec' });
  });

  it('knows which policies it has', () => {
    expect(book.has('standard')).toBe(true);
    expect(book.has('lenient')).toBe(false);
  });

  it('refuses an unknown policy with a non-retryable UnknownPolicy failure', () => {
    let failure: unknown;
    try {
      book.resolve(req('lenient'));
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: FAILURE_TYPES.UnknownPolicy, nonRetryable: true });
    expect((failure as Error).message).toMatchInlineSnapshot(
      `"no approval policy "lenient" for demo / isolate-host; defined: standard, two-person"`,
    );
  });

  // The policy name can come from the incident request, so any string reaches resolve().
  it('refuses names inherited from Object.prototype as unknown policies rather than crashing', () => {
    const outcomes = ['constructor', 'toString', '__proto__'].map((name) => {
      try {
        return `resolved ${JSON.stringify(book.resolve(req(name)))}`;
      } catch (err) {
        return err instanceof ApplicationFailure ? `${err.type} nonRetryable=${err.nonRetryable}` : String(err);
      }
    });
    expect(outcomes).toEqual(Array(3).fill(`${FAILURE_TYPES.UnknownPolicy} nonRetryable=true`));
  });

  it('does not claim to have policies named after Object.prototype members', () => {
    expect(['constructor', 'toString', '__proto__'].filter((name) => book.has(name))).toEqual([]);
  });
});
