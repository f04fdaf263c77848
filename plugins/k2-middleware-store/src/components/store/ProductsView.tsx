import { useSearchParams } from 'react-router-dom';
import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { K2MiddlewareTemplateSummary } from '@internal/plugin-k2-middleware-store-common';
import {
  Loaded,
  useAppLocale,
  useLoad,
  ViewState,
} from '@internal/plugin-k2-react';
import { k2MiddlewareStoreApiRef } from '../../api/K2MiddlewareStoreApi';
import { useMiddlewareT } from '../../translation';
import { InstanceDrawer } from '../InstanceDrawer';
import { localizeSummary } from '../templateText';
import { useInstanceParam } from '../useInstanceParam';
import { TemplateDrawer } from './TemplateDrawer';
import { K2MiddlewareEnvironmentPolicyList } from './types';

/**
 * The store's products, one card each (product, its versions, category,
 * description); a version opens its template's details in a drawer
 * (`?template=<name>`), where Create starts. `?instance=<id>` opens an instance's
 * drawer here too: the catalog's Resource of an instance links to
 * `/k2/middleware?instance=<id>` (annotation `k2.io/middleware-url`).
 */
export function ProductsView(props: {
  environments: Loaded<K2MiddlewareEnvironmentPolicyList>;
}) {
  const t = useMiddlewareT();
  const api = useApi(k2MiddlewareStoreApiRef);
  const templates = useLoad(() => api.getTemplates(), [api]);
  const [params, setParams] = useSearchParams();
  const open = params.get('template') ?? undefined;
  const [instanceId, setInstanceId] = useInstanceParam();
  const setOpen = (name?: string) =>
    setParams(
      p => {
        const next = new URLSearchParams(p);
        if (name) next.set('template', name);
        else next.delete('template');
        return next;
      },
      { replace: true },
    );
  return (
    <>
      <ViewState
        value={templates.value}
        error={templates.error}
        isEmpty={v => v.items.length === 0}
        emptyTitle={t('page.productsEmpty')}
        emptyDescription={t('page.productsEmptyHint')}
      >
        {list => (
          <Grid container spacing={2} component="ul" style={{ padding: 0 }}>
            {byProduct(list.items).map(versions => (
              <Grid
                item
                key={versions[0].product}
                xs={12}
                sm={6}
                lg={4}
                component="li"
                style={{ listStyle: 'none' }}
              >
                <ProductCard versions={versions} onOpen={setOpen} />
              </Grid>
            ))}
          </Grid>
        )}
      </ViewState>
      <TemplateDrawer
        template={open}
        environments={props.environments}
        onClose={() => setOpen(undefined)}
      />
      <InstanceDrawer
        instanceId={props.environments.value ? instanceId : undefined}
        environments={props.environments.value?.items ?? []}
        onClose={() => setInstanceId(undefined)}
        onChanged={() => undefined}
      />
    </>
  );
}

/** Templates grouped by product, in the order the store lists them (newest first). */
function byProduct(
  items: K2MiddlewareTemplateSummary[],
): K2MiddlewareTemplateSummary[][] {
  const groups = new Map<string, K2MiddlewareTemplateSummary[]>();
  for (const item of items) {
    groups.set(item.product, [...(groups.get(item.product) ?? []), item]);
  }
  return [...groups.values()];
}

function ProductCard(props: {
  versions: K2MiddlewareTemplateSummary[];
  onOpen(name: string): void;
}) {
  const t = useMiddlewareT();
  const newest = localizeSummary(props.versions[0], useAppLocale());
  return (
    <InfoCard
      title={newest.title}
      subheader={t(`categories.${newest.category}`)}
      variant="gridItem"
    >
      <Typography variant="body2" paragraph>
        {newest.description}
      </Typography>
      <Typography variant="subtitle2" component="h3" gutterBottom>
        {t('page.versions')}
      </Typography>
      <Box display="flex" flexWrap="wrap" style={{ gap: 8 }}>
        {props.versions.map(v => (
          <Chip
            key={v.name}
            label={`${v.product} ${v.version}`}
            clickable
            color="primary"
            variant="outlined"
            aria-label={t('page.details', {
              title: `${v.product} ${v.version}`,
            })}
            onClick={() => props.onOpen(v.name)}
          />
        ))}
      </Box>
    </InfoCard>
  );
}
