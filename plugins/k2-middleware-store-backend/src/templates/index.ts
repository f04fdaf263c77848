/**
 * Middleware templates: versioned YAML files (`templates/<name>.yaml`) rendered into an
 * instance's Kubernetes objects. See {@link TemplateRegistry} for the file format's
 * rules and the substitution language.
 */
export { TemplateRegistry, BUILTIN_TEMPLATES_DIR } from './TemplateRegistry';
export {
  generateSecretData,
  renderInstance,
  resolveParameters,
  secretNameOf,
} from './render';
export type {
  ConnectionEnv,
  InstanceContext,
  MiddlewareCategory,
  MiddlewareTemplate,
  RenderedInstance,
  SizePreset,
  TemplateLanguage,
  TemplateText,
} from './types';
export { TEMPLATE_LANGUAGES } from './types';
