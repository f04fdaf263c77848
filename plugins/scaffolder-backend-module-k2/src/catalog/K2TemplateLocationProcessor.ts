import { UrlReaderService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { toError } from '@backstage/errors';
import {
  CatalogProcessor,
  CatalogProcessorCache,
  CatalogProcessorEmit,
  CatalogProcessorParser,
  LocationSpec,
  processingResult,
} from '@backstage/plugin-catalog-node';
import {
  K2_TEMPLATE_LOCATION_TYPE,
  readAtMost,
  TEMPLATE_KINDS,
} from '../catalogRegisterAction';

/** The processor cache's key for the last read: its ETag and the file. */
const CACHE_KEY = 'v1';

type CachedRead = { etag: string; text: string };

/**
 * Why an entity may not come from a location a template registered, or undefined: it
 * must be a Component or API in the default namespace.
 */
export function templateEntityProblem(entity: Entity): string | undefined {
  const kind = typeof entity.kind === 'string' ? entity.kind : '';
  const name = String(entity.metadata?.name ?? '');
  if (!TEMPLATE_KINDS.includes(kind.toLocaleLowerCase('en-US'))) {
    return `${
      kind || 'A document without a kind'
    } ${name} is not a Component or API; a location a template registered holds only those`;
  }
  const namespace = entity.metadata?.namespace ?? 'default';
  if (namespace !== 'default') {
    return `${kind} ${name} is in namespace '${String(
      namespace,
    )}'; a location a template registered holds entities of the default namespace only`;
  }
  return undefined;
}

/**
 * Reads the locations `k2:catalog:register` registered (type `k2-template`): the
 * file at the URL, read as the catalog reads a `url` location (its children are
 * `url` entities, so their source links work) with the action's size limit, and
 * every entity checked again at each read. What the action checked at registration
 * would otherwise hold only for the file as it was then: a later commit could turn
 * the service into a Location pulling in anything, a System or Domain, or move it
 * to another namespace. Such an entity is not ingested; the location shows the error
 * and keeps what it held before.
 */
export class K2TemplateLocationProcessor implements CatalogProcessor {
  readonly #reader: UrlReaderService;

  constructor(options: { reader: UrlReaderService }) {
    this.#reader = options.reader;
  }

  getProcessorName() {
    return 'K2TemplateLocationProcessor';
  }

  async readLocation(
    location: LocationSpec,
    optional: boolean,
    emit: CatalogProcessorEmit,
    parser: CatalogProcessorParser,
    cache: CatalogProcessorCache,
  ): Promise<boolean> {
    if (location.type !== K2_TEMPLATE_LOCATION_TYPE) return false;
    const source: LocationSpec = { type: 'url', target: location.target };
    // Read with the last ETag, as the catalog reads url locations: a file that has
    // not changed is a 304 (not counted against a forge's rate limit) and is
    // checked again from the cache.
    const cached = await cache.get<CachedRead>(CACHE_KEY);
    let data: Buffer;
    try {
      const response = await this.#reader.readUrl(location.target, {
        etag: cached?.etag,
      });
      data = await readAtMost(response, location.target);
      if (response.etag) {
        await cache.set<CachedRead>(CACHE_KEY, {
          etag: response.etag,
          text: data.toString('utf8'),
        });
      }
    } catch (error) {
      const e = toError(error);
      const message = `Unable to read ${location.target}: ${e.message}`;
      if (e.name === 'NotModifiedError' && cached) {
        data = Buffer.from(cached.text, 'utf8');
      } else if (e.name === 'NotFoundError') {
        if (!optional) emit(processingResult.notFoundError(location, message));
        return true;
      } else {
        emit(processingResult.generalError(location, message));
        return true;
      }
    }
    for await (const result of parser({ data, location: source })) {
      const problem =
        result.type === 'entity'
          ? templateEntityProblem(result.entity)
          : undefined;
      emit(
        problem
          ? processingResult.inputError(
              location,
              `${problem}; it was not ingested`,
            )
          : result,
      );
    }
    emit(processingResult.refresh(`url:${location.target}`));
    return true;
  }
}
