/**
 * Every relative link in the README and docs/ resolves: the file (or folder) exists, and an anchor
 * names a heading of the Markdown file it points into. The reference moves between files; a link
 * left pointing at the old place fails here instead of on a reader.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../tools/temporal-binaries';

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
}

/** The lines outside fenced code blocks, with their line numbers. */
function prose(text: string): { line: string; n: number }[] {
  let fenced = false;
  return text.split('\n').flatMap((line, i) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return [];
    }
    return fenced ? [] : [{ line, n: i + 1 }];
  });
}

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { line } of prose(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

interface Link {
  file: string;
  line: number;
  target: string;
}

function relativeLinks(file: string): Link[] {
  return prose(readFileSync(file, 'utf8')).flatMap(({ line, n }) => {
    const withoutCode = line.replace(/`[^`]*`/g, '');
    return [...withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
      .map((target) => ({ file, line: n, target }));
  });
}

/** Why a link is dead, or undefined when it resolves. */
function deadLink({ file, target }: Link): string | undefined {
  const [path, anchor] = target.split('#', 2) as [string, string | undefined];
  const resolved = path === '' ? file : resolve(dirname(file), decodeURI(path));
  if (!resolved.startsWith(projectRoot)) return 'points outside the repository';
  if (!existsSync(resolved)) return `${relative(projectRoot, resolved)} does not exist`;
  if (anchor === undefined) return undefined;
  if (statSync(resolved).isDirectory() || !resolved.endsWith('.md'))
    return `an anchor into ${relative(projectRoot, resolved)}, which is not a Markdown file`;
  if (!headingAnchors(readFileSync(resolved, 'utf8')).has(anchor)) return `${relative(projectRoot, resolved)} has no heading #${anchor}`;
  return undefined;
}

const files = [join(projectRoot, 'README.md'), ...markdownFiles(join(projectRoot, 'docs'))];

describe('documentation links', () => {
  it('finds the README and the docs', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('every relative link and anchor in the README and docs/ resolves', () => {
    const links = files.flatMap(relativeLinks);
    expect(links.length).toBeGreaterThan(20);
    const dead = links.flatMap((link) => {
      const why = deadLink(link);
      return why ? [`${relative(projectRoot, link.file)}:${link.line}  (${link.target})  ${why}`] : [];
    });
    expect(dead).toEqual([]);
  });

  it('anchors follow GitHub: punctuation dropped, repeats numbered', () => {
    expect([
      ...headingAnchors('## Playbook: break-glass\n```\n# not a heading\n```\n### `TOURNIQUET_KEY` — signing\n## Notes\n## Notes'),
    ]).toEqual(['playbook-break-glass', 'tourniquet_key--signing', 'notes', 'notes-1']);
  });

  it('names a dead link with its file, line and reason', () => {
    expect(deadLink({ file: join(projectRoot, 'README.md'), line: 1, target: 'docs/cli.md#no-such-heading' })).toBe(
      'docs/cli.md has no heading #no-such-heading',
    );
    expect(deadLink({ file: join(projectRoot, 'docs/cli.md'), line: 1, target: 'nowhere.md' })).toBe('docs/nowhere.md does not exist');
    expect(deadLink({ file: join(projectRoot, 'docs/cli.md'), line: 1, target: '#the-cli' })).toBeUndefined();
  });
});
