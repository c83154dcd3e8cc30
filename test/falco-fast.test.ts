/**
 * The storm path's Falco check (parseFalcoFast) against the schema it stands in for: on every
 * variant it either gives zod's own result or leaves the decision to zod, and it takes the events
 * Falcosidekick sends, so the storm path is the one they take.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { falcoPayloadSchema, parseFalcoFast } from '../gateway/intake/falco';

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'alerts', 'falco-terminal-shell.json'), 'utf8')) as Record<
  string,
  unknown
>;

const without = (key: string) => Object.fromEntries(Object.entries(fixture).filter(([k]) => k !== key));
const with_ = (key: string, value: unknown) => ({ ...fixture, [key]: value });

/** events zod accepts: the fast check must take them too, with zod's result */
const valid: [string, unknown][] = [
  ['the fixture', fixture],
  ...['uuid', 'source', 'hostname', 'tags', 'output_fields'].map((k): [string, unknown] => [`without ${k}`, without(k)]),
  ['priority in lower case', with_('priority', 'notice')],
  ['priority alias info', with_('priority', 'info')],
  ['priority in upper case', with_('priority', 'CRITICAL')],
  ['time with an offset', with_('time', '2026-11-22T07:35:58.5+02:00')],
  ['time without fraction', with_('time', '2026-11-22T05:35:58Z')],
  ['uuid of 200', with_('uuid', 'u'.repeat(200))],
  ['rule of 500', with_('rule', 'r'.repeat(500))],
  ['rule of 1', with_('rule', 'r')],
  ['source of 100', with_('source', 's'.repeat(100))],
  ['hostname of 255', with_('hostname', 'h'.repeat(255))],
  [
    '100 tags of 200',
    with_(
      'tags',
      Array.from({ length: 100 }, () => 't'.repeat(200)),
    ),
  ],
  ['no tags', with_('tags', [])],
  ['empty output', with_('output', '')],
  ['empty output_fields', with_('output_fields', {})],
  ['nested output_fields', with_('output_fields', { a: { b: [1, null, 'x'] }, 'k8s.ns.name': 'shop' })],
  ['unknown keys', { ...fixture, extra: 1, another: { x: 1 } }],
];

/** events zod refuses: the fast check must not take them */
const invalid: [string, unknown][] = [
  ['null', null],
  ['an array', [fixture]],
  ['a string', 'falco'],
  ...['output', 'priority', 'rule', 'time'].map((k): [string, unknown] => [`without ${k}`, without(k)]),
  ...['uuid', 'output', 'priority', 'rule', 'time', 'source', 'hostname', 'tags', 'output_fields'].flatMap((k): [string, unknown][] => [
    [`${k} null`, with_(k, null)],
    [`${k} a number`, with_(k, 7)],
  ]),
  ['output_fields an array', with_('output_fields', [1])],
  ['output_fields a string', with_('output_fields', 'x')],
  ['tags not strings', with_('tags', ['ok', 3])],
  [
    '101 tags',
    with_(
      'tags',
      Array.from({ length: 101 }, () => 't'),
    ),
  ],
  ['a tag of 201', with_('tags', ['t'.repeat(201)])],
  ['unknown priority', with_('priority', 'Loud')],
  ['empty priority', with_('priority', '')],
  ['empty rule', with_('rule', '')],
  ['rule of 501', with_('rule', 'r'.repeat(501))],
  ['uuid of 201', with_('uuid', 'u'.repeat(201))],
  ['source of 101', with_('source', 's'.repeat(101))],
  ['hostname of 256', with_('hostname', 'h'.repeat(256))],
  ['time without zone', with_('time', '2026-11-22T05:35:58')],
  ['time without seconds', with_('time', '2026-11-22T05:35Z')],
  ['a date that does not exist', with_('time', '2026-02-30T05:35:58Z')],
  ['time not ISO', with_('time', 'Sun, 22 Nov 2026 05:35:58 GMT')],
];

describe('parseFalcoFast', () => {
  it.each(valid)('takes %s, with the schema’s own result', (_name, event) => {
    const zod = falcoPayloadSchema.safeParse(event);
    expect(zod.success).toBe(true);
    expect(parseFalcoFast(event)).toStrictEqual(zod.data);
  });

  it.each(invalid)('leaves %s to the schema, which refuses it', (_name, event) => {
    expect(falcoPayloadSchema.safeParse(event).success).toBe(false);
    expect(parseFalcoFast(event)).toBeUndefined();
  });
});
