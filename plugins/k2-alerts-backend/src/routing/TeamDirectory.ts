import { AuthService } from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  RELATION_CHILD_OF,
  RELATION_HAS_MEMBER,
  RELATION_OWNED_BY,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';

/** The annotation on a group naming its lead (a user ref) when its settings do not. */
export const TEAM_LEAD_ANNOTATION = 'k2.io/team-lead';

const targets = (entity: Entity | undefined, type: string, kind: string) =>
  (entity?.relations ?? [])
    .filter(r => r.type === type)
    .map(r => r.targetRef.toLocaleLowerCase('en-US'))
    .filter(ref => ref.startsWith(`${kind}:`))
    .sort();

const specRefs = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).filter(
    (v): v is string => typeof v === 'string' && v.length > 0,
  );

/** A ref as written in an entity's spec, in full and lowercased. */
const refIn = (ref: string, kind: string, entity: Entity) =>
  stringifyEntityRef(
    parseEntityRef(ref, {
      defaultKind: kind,
      defaultNamespace: entity.metadata.namespace ?? 'default',
    }),
  ).toLocaleLowerCase('en-US');

/** How long an entity read from the catalog is reused. */
const ENTITY_TTL_MS = 30_000;
/** At most this many entities are kept; the oldest read goes first. */
const MAX_ENTITIES = 5_000;

/**
 * Teams as the catalog relates them, read with the plugin's own credentials: a
 * service's owning group, a group's members (`hasMember`), its parent (`childOf`),
 * the lead its annotation names and each user's email address. Each entity is read at most once per 30 s: an
 * alert storm opening thousands of incidents of a few teams asks the catalog about
 * each service and team once, not several times per incident; a change in the
 * catalog reaches routing within that time.
 */
export class TeamDirectory {
  readonly #catalog: CatalogService;
  readonly #auth: AuthService;
  readonly #entities = new Map<
    string,
    { at: number; entity: Promise<Entity | undefined> }
  >();

  constructor(options: { catalog: CatalogService; auth: AuthService }) {
    this.#catalog = options.catalog;
    this.#auth = options.auth;
  }

  #entity(ref: string): Promise<Entity | undefined> {
    const key = ref.toLocaleLowerCase('en-US');
    const now = Date.now();
    const cached = this.#entities.get(key);
    if (cached && now - cached.at < ENTITY_TTL_MS) return cached.entity;
    const entity = this.#auth
      .getOwnServiceCredentials()
      .then(credentials =>
        this.#catalog.getEntityByRef(parseEntityRef(ref), { credentials }),
      );
    // A failed read is not kept: the next incident asks again.
    entity.catch(() => this.#entities.delete(key));
    this.#entities.delete(key);
    this.#entities.set(key, { at: now, entity });
    if (this.#entities.size > MAX_ENTITIES) {
      this.#entities.delete(this.#entities.keys().next().value!);
    }
    return entity;
  }

  /** The lowercased ref of the group owning the service, if a group owns it. */
  async owner(serviceRef: string): Promise<string | undefined> {
    const entity = await this.#entity(serviceRef);
    const [related] = targets(entity, RELATION_OWNED_BY, 'group');
    if (related) return related;
    const owner = entity?.spec?.owner;
    if (typeof owner !== 'string') return undefined;
    const ref = refIn(owner, 'group', entity!);
    return ref.startsWith('group:') ? ref : undefined;
  }

  /**
   * The group's members' user refs, lowercased: its `hasMember` relations (from users'
   * `spec.memberOf` and its own `spec.members`), and its `spec.members` as written.
   */
  async members(groupRef: string): Promise<string[]> {
    const entity = await this.#entity(groupRef);
    const members = new Set(targets(entity, RELATION_HAS_MEMBER, 'user'));
    for (const member of specRefs(entity?.spec?.members)) {
      members.add(refIn(member, 'user', entity!));
    }
    return [...members].sort();
  }

  /** The group's parent group (`childOf`, or `spec.parent` as written), if any. */
  async parent(groupRef: string): Promise<string | undefined> {
    const entity = await this.#entity(groupRef);
    const [related] = targets(entity, RELATION_CHILD_OF, 'group');
    const [written] = specRefs(entity?.spec?.parent);
    return related ?? (written ? refIn(written, 'group', entity!) : undefined);
  }

  /** The user's email address (`spec.profile.email` of its User entity), if any. */
  async email(userRef: string): Promise<string | undefined> {
    const profile = (await this.#entity(userRef))?.spec?.profile as
      | { email?: unknown }
      | undefined;
    const email = profile?.email;
    return typeof email === 'string' && email.includes('@') ? email : undefined;
  }

  /** The lead the group's annotation names, if any. */
  async lead(groupRef: string): Promise<string | undefined> {
    const lead = (await this.#entity(groupRef))?.metadata.annotations?.[
      TEAM_LEAD_ANNOTATION
    ];
    return lead ? lead.toLocaleLowerCase('en-US') : undefined;
  }
}
