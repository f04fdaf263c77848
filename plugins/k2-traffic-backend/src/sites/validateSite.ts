import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import type { components } from '@internal/plugin-k2-traffic-common';
import { TrafficCertificate } from '../config/readTrafficConfig';
import { CanaryRoute, validateCanaryRoute } from '../rendering/canary';
import { TemplateRegistry } from '../templates/TemplateRegistry';
import { isDomain, isLocationPath, memberHost, UPSTREAM_NAME } from './syntax';

/** A site document as users write it and versions keep it. */
export type TrafficSite = components['schemas']['Site'];

/** Load-balancing methods, as the site names them. */
export type LoadBalancingMethod = 'round_robin' | 'least_conn' | 'ip_hash';

/**
 * Where an upstream member comes from: listed by hand on the site, or a ready, in-traffic
 * pod of the service in one cluster of the environment.
 */
export type UpstreamMemberOrigin =
  | { kind: 'manual' }
  | { kind: 'pod'; cluster: string; namespace: string; pod: string };

/** An upstream member as it is rendered: host (IPv6 bracketed), port and weight. */
export interface UpstreamMember {
  host: string;
  port: number;
  weight: number;
  backup: boolean;
  /** Absent on members as the site document lists them (manual). */
  origin?: UpstreamMemberOrigin;
}

/** A site after validation: every default filled in, every value safe to render. */
export interface ValidSite {
  template: string;
  /** Every server name, the test domain first. */
  serverNames: string[];
  tls?: { certificate: TrafficCertificate; redirectHttp: boolean };
  upstreams: Array<{
    name: string;
    method: LoadBalancingMethod;
    maxFails: number;
    failTimeoutSeconds: number;
    members: UpstreamMember[];
    /**
     * Which requests go to the service's canary pods (`k2.io/track: canary`) instead
     * of the stable members; absent when the upstream has no canary route.
     */
    canary?: CanaryRoute;
  }>;
  locations: Array<{
    path: string;
    upstream: string;
    connectTimeoutSeconds: number;
    readTimeoutSeconds: number;
    sendTimeoutSeconds: number;
  }>;
  fields: JsonObject;
}

/** What a site is validated against: where it is published. */
export interface SiteContext {
  /** `<service>.<environment>.<wildcard>` where the environment has a wildcard domain. */
  testDomain?: string;
  /** Wildcard domains of every environment: only K2 hands out names under them. */
  wildcardDomains: string[];
  /** Certificates the environment's Nginx cluster declares. */
  certificates: TrafficCertificate[];
  templates: TemplateRegistry;
}

// Bounds the OpenAPI document also states; checked again here because versions are
// re-validated from the database on rollback and re-render.
const MAX_DOMAINS = 20;
const MAX_UPSTREAMS = 20;
const MAX_MEMBERS = 200;
const MAX_LOCATIONS = 100;

function bounded(
  value: unknown,
  at: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < min ||
    value > max
  ) {
    throw new InputError(`${at}: must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function list<T>(value: T[] | undefined, at: string, max: number): T[] {
  const items = value ?? [];
  if (!Array.isArray(items)) throw new InputError(`${at}: must be a list`);
  if (items.length > max) {
    throw new InputError(`${at}: at most ${max} entries, got ${items.length}`);
  }
  return items;
}

function text(value: unknown, at: string): string {
  if (typeof value !== 'string') throw new InputError(`${at}: must be text`);
  return value;
}

/** Quotes a refused value briefly: enough to find it, never a whole crafted body. */
function brief(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/**
 * Checks a site document and fills in its defaults. Every string that reaches the
 * rendered config is matched against a pattern that admits no Nginx syntax (domains,
 * paths, upstream names, member addresses; template fields by {@link
 * TemplateRegistry.fields}); numbers are bounded; lists are capped.
 *
 * Invariant: a value that could end a directive, open or close a block, start a
 * comment or expand a variable never passes. The error names the field
 * (`site.upstreams[0].members[1].address`).
 *
 * @throws InputError naming the first bad field
 */
export function validateSite(
  site: TrafficSite,
  context: SiteContext,
): ValidSite {
  if (!site || typeof site !== 'object') {
    throw new InputError('site: must be an object');
  }
  const template = text(site.template, 'site.template');

  const serverNames = context.testDomain ? [context.testDomain] : [];
  list(site.domains, 'site.domains', MAX_DOMAINS).forEach((domain, i) => {
    const at = `site.domains[${i}]`;
    const name = text(domain, at);
    if (!isDomain(name)) {
      throw new InputError(
        `${at}: ${brief(
          name,
        )} is not a lowercase domain name such as 'shop.example.com' or '*.shop.example.com'`,
      );
    }
    if (serverNames.includes(name)) {
      throw new InputError(`${at}: '${name}' is listed twice`);
    }
    const wildcard = context.wildcardDomains.find(
      w => name === w || name.endsWith(`.${w}`),
    );
    if (wildcard) {
      throw new InputError(
        `${at}: '${name}' is under the wildcard domain '${wildcard}', where K2 gives each service its own test domain${
          context.testDomain ? ` (this one's is '${context.testDomain}')` : ''
        }`,
      );
    }
    serverNames.push(name);
  });
  if (serverNames.length === 0) {
    throw new InputError(
      'site.domains: this environment gives no test domain, so name at least one domain',
    );
  }

  let tls: ValidSite['tls'];
  if (site.tls !== undefined) {
    const name = text(site.tls.certificate, 'site.tls.certificate');
    const certificate = context.certificates.find(c => c.name === name);
    if (!certificate) {
      throw new InputError(
        `site.tls.certificate: the Nginx cluster has no certificate ${brief(
          name,
        )}; it has: ${
          context.certificates.map(c => c.name).join(', ') || 'none'
        }`,
      );
    }
    tls = { certificate, redirectHttp: site.tls.redirectHttp ?? true };
  }

  const upstreams = list(site.upstreams, 'site.upstreams', MAX_UPSTREAMS).map(
    (upstream, i) => {
      const at = `site.upstreams[${i}]`;
      const name = text(upstream.name, `${at}.name`);
      if (!UPSTREAM_NAME.test(name)) {
        throw new InputError(
          `${at}.name: ${brief(
            name,
          )} must start with a lowercase letter, then lowercase letters, digits and '-' (at most 32)`,
        );
      }
      const method = upstream.method ?? 'round_robin';
      if (!['round_robin', 'least_conn', 'ip_hash'].includes(method)) {
        throw new InputError(
          `${at}.method: must be round_robin, least_conn or ip_hash`,
        );
      }
      const members = list(upstream.members, `${at}.members`, MAX_MEMBERS).map(
        (member, j) => {
          const mat = `${at}.members[${j}]`;
          const address = text(member.address, `${mat}.address`);
          const host = memberHost(address);
          if (!host) {
            throw new InputError(
              `${mat}.address: ${brief(
                address,
              )} is not an IPv4 or IPv6 address or a lowercase host name`,
            );
          }
          const backup = member.backup ?? false;
          if (backup && method === 'ip_hash') {
            throw new InputError(
              `${mat}.backup: Nginx has no backup members with ip_hash; use round_robin or least_conn`,
            );
          }
          return {
            host,
            port: bounded(member.port ?? -1, `${mat}.port`, 1, 65535, 0),
            weight: bounded(member.weight, `${mat}.weight`, 1, 100, 1),
            backup,
          };
        },
      );
      const seen = new Set<string>();
      members.forEach((member, j) => {
        const key = `${member.host}:${member.port}`;
        if (seen.has(key)) {
          throw new InputError(`${at}.members[${j}]: ${key} is listed twice`);
        }
        seen.add(key);
      });
      return {
        name,
        method: method as LoadBalancingMethod,
        maxFails: bounded(upstream.maxFails, `${at}.maxFails`, 0, 100, 1),
        failTimeoutSeconds: bounded(
          upstream.failTimeoutSeconds,
          `${at}.failTimeoutSeconds`,
          1,
          3600,
          10,
        ),
        members,
        ...(upstream.canary !== undefined
          ? { canary: validateCanaryRoute(upstream.canary, `${at}.canary`) }
          : {}),
      };
    },
  );
  if (upstreams.length === 0) {
    throw new InputError('site.upstreams: a site needs at least one upstream');
  }
  upstreams.forEach((upstream, i) => {
    if (upstreams.findIndex(u => u.name === upstream.name) !== i) {
      throw new InputError(
        `site.upstreams[${i}].name: '${upstream.name}' is used twice`,
      );
    }
  });

  const locations = list(site.locations, 'site.locations', MAX_LOCATIONS).map(
    (location, i) => {
      const at = `site.locations[${i}]`;
      const path = text(location.path, `${at}.path`);
      if (!isLocationPath(path)) {
        throw new InputError(
          `${at}.path: ${brief(
            path,
          )} must be a URL path prefix starting with '/' (letters, digits and . _ ~ - / %)`,
        );
      }
      const upstream = text(location.upstream, `${at}.upstream`);
      if (!upstreams.some(u => u.name === upstream)) {
        throw new InputError(
          `${at}.upstream: the site has no upstream ${brief(
            upstream,
          )}; its upstreams: ${upstreams.map(u => u.name).join(', ')}`,
        );
      }
      return {
        path,
        upstream,
        connectTimeoutSeconds: bounded(
          location.connectTimeoutSeconds,
          `${at}.connectTimeoutSeconds`,
          1,
          75,
          5,
        ),
        readTimeoutSeconds: bounded(
          location.readTimeoutSeconds,
          `${at}.readTimeoutSeconds`,
          1,
          3600,
          60,
        ),
        sendTimeoutSeconds: bounded(
          location.sendTimeoutSeconds,
          `${at}.sendTimeoutSeconds`,
          1,
          3600,
          60,
        ),
      };
    },
  );
  if (locations.length === 0) {
    throw new InputError('site.locations: a site needs at least one location');
  }
  locations.forEach((location, i) => {
    if (locations.findIndex(l => l.path === location.path) !== i) {
      throw new InputError(
        `site.locations[${i}].path: '${location.path}' is used twice`,
      );
    }
  });

  return {
    template,
    serverNames,
    tls,
    upstreams,
    locations,
    fields: context.templates.fields(template, site.fields),
  };
}
