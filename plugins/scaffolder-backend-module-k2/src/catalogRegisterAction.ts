import {
  AuditorService,
  AuthService,
  RootConfigService,
  UrlReaderService,
  UrlReaderServiceReadUrlResponse,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  parseEntityRef,
  stringifyEntityRef,
  CompoundEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotAllowedError } from '@backstage/errors';
import { ScmIntegrations } from '@backstage/integration';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { parseAllDocuments } from 'yaml';

/** The largest catalog-info file the action reads; a service’s is a few hundred bytes. */
export const MAX_CATALOG_INFO_BYTES = 256 * 1024;

/** The kinds a template may register: the service and the APIs it provides. */
export const TEMPLATE_KINDS = ['component', 'api'];

/**
 * The location type the action registers a catalog-info file as (its target is the
 * file's URL), read by `K2TemplateLocationProcessor`, which checks its entities again
 * at every read.
 */
export const K2_TEMPLATE_LOCATION_TYPE = 'k2-template';

/** What a catalog-info document must name for the action to register it. */
interface Candidate {
  ref: CompoundEntityRef;
  owner: string;
}

/**
 * The hosts catalog-info URLs may be on: the local Git server's (development,
 * `k2.builds.localGit.url`) and every SCM integration's (`integrations.*`, with
 * Backstage's defaults such as github.com).
 */
export function catalogHosts(config: RootConfigService) {
  const integrations = ScmIntegrations.fromConfig(config);
  const localGit = config.getOptionalConfig('k2.builds.localGit');
  const localHost =
    localGit && localGit.getOptionalBoolean('enabled') !== false
      ? new URL(localGit.getString('url')).host
      : undefined;
  return {
    /** Whether `host` (as `URL.host` gives it: lower-case, with the port) is one. */
    allows: (host: string) =>
      host === localHost || integrations.byHost(host) !== undefined,
    /** The hosts, for messages. */
    names: [
      ...(localHost ? [localHost] : []),
      ...integrations.list().map(integration => integration.title),
    ],
  };
}

/**
 * The entities of a catalog-info file, each checked to be one a template may register:
 * a Component or API in the default namespace, with a name and an owner. Anything else
 * throws an `InputError` naming the document.
 */
export function parseCatalogInfo(text: string, url: string): Candidate[] {
  const documents = parseAllDocuments(text);
  const candidates: Candidate[] = [];
  documents.forEach((document, index) => {
    const where = `Document ${index + 1} of ${url}`;
    if (document.errors.length > 0) {
      throw new InputError(
        `${where} is not valid YAML: ${document.errors[0].message}`,
      );
    }
    let entity: {
      kind?: unknown;
      metadata?: { name?: unknown; namespace?: unknown };
      spec?: { owner?: unknown };
    } | null;
    try {
      entity = document.toJS();
    } catch (error) {
      // yaml refuses to expand a document whose aliases multiply (a "billion
      // laughs"), as the catalog's own parser would.
      throw new InputError(
        `${where} cannot be read: ${(error as Error).message}`,
      );
    }
    if (entity === null || entity === undefined) return; // an empty document
    if (typeof entity !== 'object' || Array.isArray(entity)) {
      throw new InputError(`${where} is not an entity`);
    }
    const kind = typeof entity.kind === 'string' ? entity.kind : '';
    if (!TEMPLATE_KINDS.includes(kind.toLocaleLowerCase('en-US'))) {
      throw new InputError(
        `${where} is a ${
          kind || 'document without a kind'
        }; a template registers only Component and API entities`,
      );
    }
    const name = entity.metadata?.name;
    if (typeof name !== 'string' || !name) {
      throw new InputError(`${where} has no metadata.name`);
    }
    const namespace = entity.metadata?.namespace ?? 'default';
    if (namespace !== 'default') {
      throw new InputError(
        `${where} (${kind} ${name}) is in namespace '${String(
          namespace,
        )}'; a template registers entities in the default namespace only`,
      );
    }
    const owner = entity.spec?.owner;
    if (typeof owner !== 'string' || !owner) {
      throw new InputError(`${where} (${kind} ${name}) has no spec.owner`);
    }
    let ownerRef: string;
    try {
      ownerRef = stringifyEntityRef(
        parseEntityRef(owner, {
          defaultKind: 'group',
          defaultNamespace: 'default',
        }),
      );
    } catch (error) {
      throw new InputError(
        `${where} (${kind} ${name}) names the owner '${owner}', which is not an entity ref: ${
          (error as Error).message
        }`,
      );
    }
    candidates.push({
      ref: { kind, namespace: 'default', name },
      owner: ownerRef,
    });
  });
  if (candidates.length === 0) {
    throw new InputError(`${url} holds no entity`);
  }
  return candidates;
}

/**
 * The body of a URL reader's response, read as a stream and abandoned once it passes
 * `MAX_CATALOG_INFO_BYTES`, so an endless or huge answer is never held in memory.
 */
export async function readAtMost(
  response: UrlReaderServiceReadUrlResponse,
  url: string,
): Promise<Buffer> {
  const tooLarge = () =>
    new InputError(
      `${url} is more than ${MAX_CATALOG_INFO_BYTES} bytes; a catalog-info file may have at most ${MAX_CATALOG_INFO_BYTES}`,
    );
  if (!response.stream) {
    const buffer = await response.buffer();
    if (buffer.length > MAX_CATALOG_INFO_BYTES) throw tooLarge();
    return buffer;
  }
  const stream = response.stream();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      size += bytes.length;
      if (size > MAX_CATALOG_INFO_BYTES) throw tooLarge();
      chunks.push(bytes);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}

/**
 * `k2:catalog:register`: registers a new service's catalog-info file for an owner who
 * is not a platform admin. Registering an arbitrary location (`catalog.location.create`)
 * is an admin's right in K2's policy, since a location may claim any name, namespace or
 * owner; this action registers one with the scaffolder's own credentials only after
 * checking it claims nothing the initiator may not: every entity is a Component or API
 * in the default namespace, owned by a group the initiator belongs to (any owner for a
 * platform admin), under a name the catalog does not hold yet, read from the local Git
 * server or an SCM integration's host. Refused, nothing is registered. Each
 * registration is an auditor event naming the initiator and the URL. The location is
 * registered as type `k2-template`, whose reader (`catalogModuleK2TemplateLocations`)
 * ingests only Components and APIs of the default namespace from it at every later
 * read, so a later commit cannot turn it into anything else.
 */
export function createK2CatalogRegisterAction(options: {
  config: RootConfigService;
  urlReader: UrlReaderService;
  catalog: CatalogService;
  auth: AuthService;
  userInfo: UserInfoService;
  auditor: AuditorService;
}) {
  const { config, urlReader, catalog, auth, userInfo, auditor } = options;
  const adminGroup = config.getOptionalString('k2.platformAdminGroup');
  const platformAdminGroup =
    adminGroup === undefined
      ? undefined
      : stringifyEntityRef(
          parseEntityRef(adminGroup, {
            defaultKind: 'group',
            defaultNamespace: 'default',
          }),
        );
  const hosts = catalogHosts(config);

  return createTemplateAction({
    id: 'k2:catalog:register',
    description:
      'Registers a new service’s catalog-info.yaml in the catalog for its owner: ' +
      'every entity must be a Component or API in the default namespace, owned by a group of the user running the template ' +
      '(any owner for platform admins), with a name the catalog does not hold yet, ' +
      'and the file must be on the local Git server or an integration’s host. ' +
      'Outputs entityRef (the first Component) and catalogInfoUrl, as catalog:register does. ' +
      'The location is of type k2-template: the backend needs this package’s catalogModuleK2TemplateLocations, which ingests only such entities from it at every later read.',
    examples: [
      {
        description: 'Register the catalog-info.yaml a publish step pushed',
        example: [
          'steps:',
          '  - id: register',
          '    action: k2:catalog:register',
          '    input:',
          '      catalogInfoUrl: ${{ steps.publish.output.catalogInfoUrl }}',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        catalogInfoUrl: z =>
          z
            .string()
            .min(1)
            .max(2048)
            .describe(
              'The URL of the catalog-info.yaml, e.g. http://127.0.0.1:7108/api/repos/payments/ledger/files/catalog-info.yaml',
            ),
      },
      output: {
        entityRef: z =>
          z
            .string()
            .describe(
              'The first Component registered (the first entity when none is a Component)',
            ),
        catalogInfoUrl: z => z.string().describe('The URL registered'),
      },
    },
    async handler(ctx) {
      const { catalogInfoUrl } = ctx.input;
      let url: URL;
      try {
        url = new URL(catalogInfoUrl);
      } catch {
        throw new InputError(`catalogInfoUrl '${catalogInfoUrl}' is not a URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new InputError(
          `catalogInfoUrl '${catalogInfoUrl}' is not an http(s) URL`,
        );
      }
      if (!hosts.allows(url.host)) {
        throw new InputError(
          `catalogInfoUrl is on ${
            url.host
          }, which is neither the local Git server nor an integration’s host (${hosts.names.join(
            ', ',
          )})`,
        );
      }

      const credentials = await ctx.getInitiatorCredentials();
      if (!auth.isPrincipal(credentials, 'user')) {
        throw new NotAllowedError(
          'k2:catalog:register registers a service for the user who runs the template; this task was not started by a signed-in user',
        );
      }
      const { userEntityRef, ownershipEntityRefs } = await userInfo.getUserInfo(
        credentials,
      );
      const claims = ownershipEntityRefs.map(r => r.toLocaleLowerCase('en-US'));
      const admin =
        platformAdminGroup !== undefined &&
        claims.includes(platformAdminGroup.toLocaleLowerCase('en-US'));

      let text: string;
      try {
        const response = await urlReader.readUrl(catalogInfoUrl);
        text = (await readAtMost(response, catalogInfoUrl)).toString('utf8');
      } catch (error) {
        if (error instanceof InputError) throw error;
        throw new InputError(
          `Could not read ${catalogInfoUrl}: ${(error as Error).message}`,
        );
      }
      const candidates = parseCatalogInfo(text, catalogInfoUrl);

      for (const { ref, owner } of candidates) {
        const isGroup = parseEntityRef(owner).kind === 'group';
        if (
          !admin &&
          !(isGroup && claims.includes(owner.toLocaleLowerCase('en-US')))
        ) {
          throw new NotAllowedError(
            `${ref.kind} ${ref.name} names ${owner} as its owner, which is not a group ${userEntityRef} belongs to; only platform admins may register a service for another owner`,
          );
        }
      }

      const own = await auth.getOwnServiceCredentials();
      const refs = candidates.map(c => stringifyEntityRef(c.ref));
      const existing = await catalog.getEntitiesByRefs(
        { entityRefs: refs, fields: ['kind', 'metadata.name'] },
        { credentials: own },
      );
      const taken = refs.filter((_, index) => existing.items[index]);
      if (taken.length > 0) {
        throw new InputError(
          `The catalog already holds ${taken.join(
            ', ',
          )}; choose another name (nothing was registered)`,
        );
      }

      const event = await auditor.createEvent({
        eventId: 'catalog-register',
        severityLevel: 'medium',
        meta: {
          initiator: userEntityRef,
          catalogInfoUrl,
          entityRefs: refs,
          taskId: ctx.task?.id,
        },
      });
      try {
        await catalog.addLocation(
          { type: K2_TEMPLATE_LOCATION_TYPE, target: catalogInfoUrl },
          { credentials: own },
        );
        await event.success();
      } catch (error) {
        await event.fail({ error: error as Error });
        throw error;
      }
      ctx.logger.info(
        `Registered ${catalogInfoUrl} (${refs.join(
          ', ',
        )}) for ${userEntityRef}`,
      );

      const first =
        candidates.find(
          c => c.ref.kind.toLocaleLowerCase('en-US') === 'component',
        ) ?? candidates[0];
      ctx.output('entityRef', stringifyEntityRef(first.ref));
      ctx.output('catalogInfoUrl', catalogInfoUrl);
    },
  });
}
