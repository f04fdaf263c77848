import type { Node } from './expressions';
import type { MiddlewareTemplate, SizePreset } from './types';

/** A size preset as the file has it: resources plus product values (`maxmemory`). */
export interface PresetSpec extends SizePreset {
  values?: Record<string, string | number>;
}

/** The parts of a template file that only the renderer reads. */
export interface TemplateSpec {
  file: string;
  presets: PresetSpec[];
  storageLimits: { min: string; max: string };
  /** Keys of the instance's Secret; each gets a fresh random value at creation. */
  secretKeys: string[];
  connection: {
    port: Node;
    env: Node[];
    /** A string, or alternatives (`{ $when, value }`) of which the first kept one is the URI. */
    uri?: Node;
  };
  manifests: Node[];
  dumpJob?: Node;
}

const specs = new WeakMap<MiddlewareTemplate, TemplateSpec>();

export function attachSpec(template: MiddlewareTemplate, spec: TemplateSpec) {
  specs.set(template, spec);
}

/** The file behind a template the registry loaded; throws for any other object. */
export function specOf(template: MiddlewareTemplate): TemplateSpec {
  const spec = specs.get(template);
  if (!spec) {
    throw new Error(
      `Template ${template.name} was not loaded by a TemplateRegistry`,
    );
  }
  return spec;
}
