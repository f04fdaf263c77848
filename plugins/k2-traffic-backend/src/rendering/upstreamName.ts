import { createHash } from 'node:crypto';
import { parseEntityRef } from '@backstage/catalog-model';
import type { SiteRef } from './members';

/**
 * The Nginx name of an upstream: readable (environment, service name, upstream) and
 * unique in the cluster (a hash of the full site ref and upstream name), made of
 * characters Nginx takes in a `proxy_pass` host.
 */
export function upstreamName(site: SiteRef, upstream: string): string {
  const { name } = parseEntityRef(site.service);
  const hash = createHash('sha256')
    .update(`${site.environment}\0${site.service}\0${upstream}`)
    .digest('hex')
    .slice(0, 8);
  return `k2_${site.environment}_${name}_${upstream}_${hash}`.replace(
    /[^a-zA-Z0-9_]/g,
    '_',
  );
}
