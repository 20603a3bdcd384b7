/**
 * Where the documentation site lives, shared by its VitePress config and the link checker
 * (scripts/check-docs-links.ts), so both agree on the base the built pages' links carry.
 */

/** Folder the site is built into: beside the lab's own build, so one dist/ deploys both. */
export const DOCS_OUT_DIR = 'dist/docs';

/**
 * The site's URL base. VitePress needs an absolute one (its pages link to /<base>/...), while
 * the lab's build is relative and works under any sub-path. So: COMPLAB_DOCS_BASE when given
 * (`/lab/docs/` for a lab served at /lab/); else the lab's own COMPLAB_BASE plus `docs/` when
 * that is absolute; else `/docs/`, for a lab at the site's root.
 */
export function docsBase(env: Record<string, string | undefined> = process.env): string {
  const explicit = env.COMPLAB_DOCS_BASE;
  const labBase = env.COMPLAB_BASE;
  const base =
    explicit ?? (labBase?.startsWith('/') ? `${labBase.replace(/\/?$/, '/')}docs/` : '/docs/');
  if (!base.startsWith('/') || !base.endsWith('/')) {
    throw new Error(`the docs' base must start and end with "/" (got "${base}")`);
  }
  return base;
}
