import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { RuleTemplate } from './types';

/** Where the built-in templates live: one YAML file per template, versioned with K2. */
export const BUILTIN_TEMPLATES_DIR = resolvePackagePath(
  '@internal/plugin-k2-alerts-backend',
  'templates',
);

/**
 * The built-in templates, in file name order. They are read once; a file that is not a
 * template stops the plugin at start naming the file.
 */
export function loadBuiltinTemplates(
  directory = BUILTIN_TEMPLATES_DIR,
): RuleTemplate[] {
  return readdirSync(directory)
    .filter(file => file.endsWith('.yaml'))
    .sort()
    .map(file => {
      const doc = YAML.parse(readFileSync(join(directory, file), 'utf8'));
      const missing = [
        'id',
        'title',
        'description',
        'scope',
        'defaultSeverity',
        'defaultFor',
        'parameters',
        'expr',
      ].filter(key => doc?.[key] === undefined);
      if (missing.length) {
        throw new Error(
          `Alert rule template ${file} lacks ${missing.join(', ')}`,
        );
      }
      return {
        id: doc.id,
        title: doc.title,
        description: doc.description,
        builtin: true,
        scope: doc.scope,
        defaultSeverity: doc.defaultSeverity,
        defaultFor: doc.defaultFor,
        parameters: doc.parameters,
        expr: doc.expr.trim(),
        ...(doc.value ? { value: doc.value.trim() } : {}),
        ...(doc.summary ? { summary: doc.summary } : {}),
      };
    });
}
