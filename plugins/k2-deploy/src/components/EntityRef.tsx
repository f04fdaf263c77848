import { parseEntityRef } from '@backstage/catalog-model';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import {
  EntityDisplayName,
  EntityRefLink,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';

/** Kinds of principal that are catalog entities; others (`service:…`) have no page. */
const LINKED_KINDS = ['user', 'group'];

/**
 * A person or group, as a link to their catalog page (`user:default/alice` reads
 * "alice"); a principal that is no catalog entity, such as `service:scaffolder`, as text.
 */
export function EntityRef(props: { entityRef?: string }) {
  const { entityRef } = props;
  // Undefined in an app without the catalog's entity page: then the name, unlinked.
  const catalogRoute = useRouteRef(entityRouteRef);
  if (!entityRef) return null;
  let compound;
  try {
    compound = parseEntityRef(entityRef);
  } catch {
    return <>{entityRef}</>;
  }
  if (!LINKED_KINDS.includes(compound.kind.toLocaleLowerCase('en-US'))) {
    return <>{entityRef}</>;
  }
  return catalogRoute ? (
    <EntityRefLink entityRef={compound} hideIcon />
  ) : (
    <EntityDisplayName entityRef={compound} hideIcon />
  );
}
