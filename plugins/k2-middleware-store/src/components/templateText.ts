import { useMemo } from 'react';
import {
  K2MiddlewareTemplate,
  K2MiddlewareTemplateSummary,
} from '@internal/plugin-k2-middleware-store-common';
import { useAppLocale } from '@internal/plugin-k2-react';

type TemplateText = NonNullable<K2MiddlewareTemplateSummary['i18n']>[string];

/** A template as the user reads it: its presets may carry a label in their language. */
export type LocalizedTemplate = Omit<K2MiddlewareTemplate, 'presets'> & {
  presets: Array<K2MiddlewareTemplate['presets'][number] & { label?: string }>;
};

/**
 * The template's text in the language (`zh`, or `zh-CN` read as `zh`), undefined for
 * English or a language the template has no text in.
 */
function textIn(
  template: K2MiddlewareTemplateSummary,
  language: string | undefined,
): TemplateText | undefined {
  if (!language || !template.i18n) return undefined;
  return template.i18n[language] ?? template.i18n[language.split('-')[0]];
}

/** The summary's title and description in the language, each falling back to English. */
export function localizeSummary<T extends K2MiddlewareTemplateSummary>(
  template: T,
  language: string | undefined,
): T {
  const text = textIn(template, language);
  if (!text) return template;
  return {
    ...template,
    title: text.title ?? template.title,
    description: text.description ?? template.description,
  };
}

/**
 * The template in the language, each field falling back to the template's English:
 * title, description, readme, each parameter's title and description in the schema
 * (with `enumLabels` for values the language names), each preset's `label` and each
 * connection env var's description. Values (parameter names, enum values, preset
 * names) stay as they are: they are what the API takes.
 */
export function localizeTemplate(
  template: K2MiddlewareTemplate,
  language: string | undefined,
): LocalizedTemplate {
  const text = textIn(template, language);
  if (!text) return template;
  const properties = (template.parameters.properties ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  return {
    ...localizeSummary(template, language),
    readme: text.readme ?? template.readme,
    parameters: {
      ...template.parameters,
      properties: Object.fromEntries(
        Object.entries(properties).map(([name, property]) => {
          const own = text.parameters?.[name];
          if (!own) return [name, property];
          return [
            name,
            {
              ...property,
              title: own.title ?? property.title,
              description: own.description ?? property.description,
              ...(own.enum ? { enumLabels: own.enum } : {}),
            },
          ];
        }),
      ),
    },
    presets: template.presets.map(p =>
      text.presets?.[p.name] ? { ...p, label: text.presets[p.name] } : p,
    ),
    connection: template.connection.map(c =>
      text.connection?.[c.name]
        ? { ...c, description: text.connection[c.name] }
        : c,
    ),
  };
}

/** The template in the language chosen in Settings; it follows a change of language. */
export function useLocalizedTemplate(
  template: K2MiddlewareTemplate | undefined,
): LocalizedTemplate | undefined {
  const language = useAppLocale();
  return useMemo(
    () => template && localizeTemplate(template, language),
    [template, language],
  );
}

/**
 * The label of a parameter's value in the user's language, if the template has one:
 * a size preset's label for `size`, else the parameter's `enumLabels`.
 */
export function valueLabel(
  template: LocalizedTemplate,
  parameter: string,
  value: unknown,
): string | undefined {
  if (parameter === 'size') {
    return template.presets.find(p => p.name === value)?.label;
  }
  const property = template.parameters.properties as
    | Record<string, { enumLabels?: Record<string, string> }>
    | undefined;
  return property?.[parameter]?.enumLabels?.[String(value)];
}

/** A value with its label where the language has one: `哨兵 (sentinel)`. */
export function labelled(value: string, label: string | undefined): string {
  return label ? `${label} (${value})` : value;
}
