import { describe, expect, it } from 'vitest';
import { parseAllowedSigners, parseAllowedSignersWithValidity, SignersFileError, trustSnapshot } from '../activities/approvals/signers';
import { seedSigner } from '../client/signing';

const alice = seedSigner(new Uint8Array(32).fill(1)).publicKey!.line;
const bob = seedSigner(new Uint8Array(32).fill(2)).publicKey!.line;

describe('the allowed signers file', () => {
  it('reads principals, options and comments as ssh-keygen does, keeping only keys for the tourniquet namespace', () => {
    const signers = parseAllowedSigners(
      [
        '# people',
        `alice,alice@corp namespaces="tourniquet,git" ${alice} alice@laptop`,
        `bob namespaces="git" ${bob}`,
        '',
        `bob ${bob}`,
      ].join('\n'),
    );
    expect(signers).toEqual({ alice: [alice], 'alice@corp': [alice], bob: [bob] });
  });

  it('stops start-up on a line it cannot use, naming the line', () => {
    expect(() => parseAllowedSigners(`* ${alice}`)).toThrow(SignersFileError);
    expect(() => parseAllowedSigners(`* ${alice}`)).toThrow('allowed_signers line 1: principal patterns (*) are not allowed');
    expect(() => parseAllowedSigners('carol ssh-rsa AAAAB3NzaC1yc2E')).toThrow('line 1: ssh-rsa keys cannot sign decisions');
    expect(() => parseAllowedSigners('carol ssh-ed25519 AAAAnotakey')).toThrow(/line 1/);
    expect(() => parseAllowedSigners(`carol valid-before="2026-01-01" ${alice}`)).toThrow('bad time');
  });

  it('snapshots only keys valid when the gate opens (valid-after / valid-before)', () => {
    const parsed = parseAllowedSignersWithValidity(
      [`alice valid-before="20260101Z" ${alice}`, `bob valid-after="20270101Z" ${bob}`, `carol ${bob}`].join('\n'),
    );
    const snap = (iso: string) => trustSnapshot({ mode: 'signed', slackGateway: [], ...parsed }, {}, Date.parse(iso)).keys;
    expect(snap('2025-12-31T23:59:59Z')).toEqual({ alice: [alice], bob: [], carol: [bob] });
    expect(snap('2026-12-01T00:00:00Z')).toEqual({ alice: [], bob: [], carol: [bob] });
    expect(snap('2027-01-01T00:00:00Z')).toEqual({ alice: [], bob: [bob], carol: [bob] });
  });
});
