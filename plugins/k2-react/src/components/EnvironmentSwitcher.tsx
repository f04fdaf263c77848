import { useCallback } from 'react';
import { useSearchParams } from 'react-router-dom';
import { FilterSelect } from './FilterSelect';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { k2ReactTranslationRef } from '../translation';

/** An environment as a switcher lists it. */
export interface SwitcherEnvironment {
  name: string;
  title: string;
}

/**
 * The environment a sub-view shows, kept in the URL (`?environment=prod`) so a link
 * points at one environment and a reload keeps it. Empty when none is chosen.
 */
export function useEnvironmentParam(): [string, (name: string) => void] {
  const [params, setParams] = useSearchParams();
  const value = params.get('environment') ?? '';
  const set = useCallback(
    (name: string) =>
      setParams(
        p => {
          const next = new URLSearchParams(p);
          if (name) next.set('environment', name);
          else next.delete('environment');
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );
  return [value, set];
}

/**
 * Picks the environment a view shows: a labelled select ({@link FilterSelect}). With
 * `allLabel` the empty value means every environment.
 */
export function EnvironmentSwitcher(props: {
  environments: SwitcherEnvironment[];
  value: string;
  onChange(name: string): void;
  allLabel?: string;
  label?: string;
}) {
  const { t } = useTranslationRef(k2ReactTranslationRef);
  return (
    <FilterSelect
      label={props.label ?? t('environment')}
      value={props.value}
      options={props.environments.map(e => ({ value: e.name, label: e.title }))}
      onChange={props.onChange}
      allLabel={props.allLabel}
    />
  );
}
