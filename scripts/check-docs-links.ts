/**
 * Checks the built documentation site and the README's links into it: every internal link must
 * reach a page or file that exists, and every anchor (#id) an element with that id. VitePress
 * already fails its build on a link to a missing page, but not on a missing anchor.
 *
 *   npx tsx scripts/check-docs-links.ts     (after `npm run docs:build`; `npm run docs:check` does both)
 *
 * Lists every broken link with the page it is on, and exits 1 when there is one.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, posix, relative, resolve } from 'node:path';
import { DOCS_OUT_DIR, docsBase } from '../docs/.vitepress/site.ts';

const siteDir = resolve(DOCS_OUT_DIR);
const base = docsBase();
const problems: string[] = [];

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const hex = name[1] === 'x' || name[1] === 'X';
      return String.fromCodePoint(parseInt(name.slice(hex ? 2 : 1), hex ? 16 : 10));
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function htmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return htmlFiles(path);
    return extname(name) === '.html' ? [path] : [];
  });
}

const idCache = new Map<string, Set<string>>();
/** The ids of the elements of a built page. */
function idsOf(file: string): Set<string> {
  let ids = idCache.get(file);
  if (!ids) {
    const html = readFileSync(file, 'utf8');
    ids = new Set([...html.matchAll(/\sid="([^"]*)"/g)].map((m) => decodeEntities(m[1])));
    idCache.set(file, ids);
  }
  return ids;
}

/** The built file a site path (below the base, decoded) names, or null when none does. */
function fileOfSitePath(sitePath: string): string | null {
  const path = join(siteDir, sitePath);
  if (!path.startsWith(siteDir)) return null;
  const candidates =
    sitePath === '' || sitePath.endsWith('/') ? [join(path, 'index.html')] : [path, `${path}.html`];
  return candidates.find((file) => existsSync(file) && statSync(file).isFile()) ?? null;
}

function checkAnchor(where: string, link: string, file: string, fragment: string): void {
  if (fragment === '' || extname(file) !== '.html') return;
  const id = safeDecode(fragment);
  if (!idsOf(file).has(id)) {
    problems.push(
      `${where}: ${link}: no element with id "${id}" in ${relative(process.cwd(), file)}`,
    );
  }
}

const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

/** Every href of the built site that stays inside it. */
function checkSite(): void {
  for (const file of htmlFiles(siteDir)) {
    const where = relative(process.cwd(), file);
    // The page's own URL path below the base, to resolve relative links against.
    const pagePath = posix.join('/', relative(siteDir, file).split('\\').join('/'));
    const html = readFileSync(file, 'utf8');
    for (const match of html.matchAll(/\shref="([^"]*)"/g)) {
      const link = decodeEntities(match[1]);
      if (EXTERNAL.test(link)) continue;
      const [pathPart, fragment = ''] = link.split('#', 2) as [string, string?];
      const pathOnly = pathPart.split('?')[0];
      let target: string | null;
      if (pathOnly === '') {
        target = file;
      } else if (pathOnly.startsWith('/')) {
        if (!pathOnly.startsWith(base)) {
          problems.push(`${where}: ${link}: leaves the docs site (its base is ${base})`);
          continue;
        }
        target = fileOfSitePath(safeDecode(pathOnly.slice(base.length)));
      } else {
        const resolved = posix.join(posix.dirname(pagePath), safeDecode(pathOnly));
        target = fileOfSitePath(resolved.slice(1) + (pathOnly.endsWith('/') ? '/' : ''));
      }
      if (!target) {
        problems.push(`${where}: ${link}: no such page or file`);
        continue;
      }
      checkAnchor(where, link, target, fragment);
    }
  }
}

/** GitHub's heading ids: lower case, punctuation dropped, spaces as hyphens. */
function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/**
 * The README's links: relative file links (they work on GitHub), each to a file that exists;
 * one to a docs page also to an anchor its built page has.
 */
function checkReadme(): void {
  const readme = readFileSync('README.md', 'utf8');
  const withoutCode = readme.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const headings = new Set(
    [...withoutCode.matchAll(/^#+ (.*)$/gm)].map((m) => githubSlug(m[1].replace(/[*_`]/g, ''))),
  );
  for (const match of withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const link = match[1];
    if (EXTERNAL.test(link)) continue;
    const [path, fragment = ''] = link.split('#', 2) as [string, string?];
    if (path === '') {
      if (!headings.has(safeDecode(fragment))) problems.push(`README.md: ${link}: no such heading`);
      continue;
    }
    if (path.startsWith('/')) {
      problems.push(
        `README.md: ${link}: use a path relative to the repository (it works on GitHub)`,
      );
      continue;
    }
    if (!existsSync(path)) {
      problems.push(`README.md: ${link}: no such file`);
      continue;
    }
    const page = posix.normalize(path);
    if (page.startsWith('docs/') && page.endsWith('.md')) {
      const built = join(siteDir, `${page.slice('docs/'.length, -'.md'.length)}.html`);
      if (!existsSync(built))
        problems.push(
          `README.md: ${link}: the docs build has no ${relative(process.cwd(), built)}`,
        );
      else checkAnchor('README.md', link, built, fragment);
    } else if (fragment) {
      problems.push(
        `README.md: ${link}: anchors are only checked into docs pages; link to the docs`,
      );
    }
  }
}

if (!existsSync(join(siteDir, 'index.html'))) {
  console.error(
    `No built docs in ${relative(process.cwd(), siteDir)}: run npm run docs:build first.`,
  );
  process.exit(1);
}
checkSite();
checkReadme();
const pages = htmlFiles(siteDir).length;
if (problems.length > 0) {
  console.error(`${problems.length} broken link(s) in the docs (${pages} pages) and README.md:`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(
  `docs links: every link and anchor resolves (${pages} pages and README.md, base ${base})`,
);
