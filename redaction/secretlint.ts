/**
 * secretlint's recommended rule set (AWS, GCP, private keys, npm, basic auth, Slack, SendGrid,
 * Shopify, GitHub, OpenAI, Anthropic, Linear, 1Password, database connection strings), maintained
 * upstream, run over many strings in one pass. `lintSource` is asynchronous, hence the boundary is.
 *
 * secretlint 11.7 is the newest line that runs on Node 20 (12 and later need Node 22).
 */
import type { lintSource as LintSource } from '@secretlint/core';
import type { SecretLintCoreConfig, SecretLintRuleCreator } from '@secretlint/types';

export interface Finding {
  start: number;
  end: number;
  kind: string;
}

/**
 * The preset's rules, registered one by one, all but the comment filter: it honours
 * `secretlint-disable` written in the scanned text, which here is the sender's (an alert title, a
 * reason), so it would let anyone switch detection off. (Disabling it through the preset's own
 * config is not honoured by secretlint 11.7 for rules inside a preset.)
 */
const FILTER_COMMENTS = '@secretlint/secretlint-rule-filter-comments';

/** Loaded on first use: commands that never redact (status, list) do not pay for the rule set. */
let engine: Promise<{ lintSource: typeof LintSource; config: SecretLintCoreConfig }> | undefined;
function load() {
  engine ??= Promise.all([
    import('@secretlint/core'),
    import('@secretlint/secretlint-rule-preset-recommend'),
    import('@secretlint/profiler'),
  ]).then(([core, preset, { secretLintProfiler }]) => ({
    lintSource: (quietProfiler(secretLintProfiler), core.lintSource),
    config: {
      rules: preset.rules
        .filter((rule) => rule.meta.id !== FILTER_COMMENTS)
        .map((rule) => ({ id: rule.meta.id, rule: rule as SecretLintRuleCreator })),
    },
  }));
  return engine;
}

/**
 * secretlint's core marks every lint and every rule run on a process-wide profiler that nothing
 * here reads: it keeps each mark (and a measure) for the life of the process and scans all it
 * kept on every end mark. In a long-lived gateway or worker that is memory and CPU growing with
 * every value ever redacted (a gateway profile: a fifth of its CPU, more per alert the longer it
 * ran). Its marks are switched off; lintSource's findings do not depend on them. The profiler is
 * @secretlint/core's own dependency, the instance core imports.
 */
function quietProfiler(profiler: { mark: (marker: never) => void }): void {
  profiler.mark = () => undefined;
}

/** Joins the strings scanned together; no rule reads a secret across it except a PEM block, which is fingerprinted per string. */
const SEPARATOR = '\n\n';

/** `AWSAccessKeyID` → `aws-access-key-id`, `GITHUB_TOKEN` → `github-token`: the kinds Tourniquet's own rules use. */
export function kindOf(messageId: string | undefined): string {
  if (!messageId) return 'secret';
  return messageId
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
}

/**
 * The secrets secretlint finds in each string: ranges within that string, sorted and merged. A
 * range that spans strings (a PEM block begun in one and ended in another) is split over them.
 */
export async function scanStrings(texts: readonly string[]): Promise<Finding[][]> {
  const found: Finding[][] = texts.map(() => []);
  if (texts.every((t) => t.length < 8)) return found;
  const starts: number[] = [];
  let offset = 0;
  for (const t of texts) {
    starts.push(offset);
    offset += t.length + SEPARATOR.length;
  }
  const { lintSource, config } = await load();
  const result = await lintSource({
    source: { content: texts.join(SEPARATOR), filePath: 'tourniquet-input.txt', ext: '.txt', contentType: 'text' },
    options: { config, noPhysicFilePath: true, maskSecrets: true },
  });
  for (const message of result.messages) {
    const [from, to] = message.range;
    const kind = kindOf(message.messageId);
    for (let i = 0; i < texts.length; i++) {
      const start = Math.max(from, starts[i]!) - starts[i]!;
      const end = Math.min(to, starts[i]! + texts[i]!.length) - starts[i]!;
      if (end > start) found[i]!.push({ start, end, kind });
    }
  }
  return found.map(merge);
}

function merge(findings: Finding[]): Finding[] {
  const sorted = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Finding[] = [];
  for (const f of sorted) {
    const last = out[out.length - 1];
    if (last && f.start < last.end) last.end = Math.max(last.end, f.end);
    else out.push({ ...f });
  }
  return out;
}
