import { InputError } from '@backstage/errors';

/** The fields a message template may name, each a string. */
export type MessageFields = Record<string, string>;

const PLACEHOLDER = /\{\{\s*([a-zA-Z][a-zA-Z0-9]*)\s*\}\}/g;

/**
 * Replaces `{{ field }}` with the field's value (an unknown field with nothing). No
 * expressions, helpers or partials: a template can only place values, never run code.
 */
export function renderText(template: string, fields: MessageFields): string {
  return template.replace(PLACEHOLDER, (_, name: string) =>
    Object.prototype.hasOwnProperty.call(fields, name) ? fields[name] : '',
  );
}

/**
 * Renders a webhook's JSON body template: each value is JSON-escaped, so a value can
 * never end a string or add a key. The template is meant to put placeholders inside
 * JSON strings (`"content": "{{ message }}"`).
 *
 * @throws InputError when the rendered body is not JSON
 */
export function renderJson(template: string, fields: MessageFields): string {
  const body = template.replace(PLACEHOLDER, (_, name: string) =>
    Object.prototype.hasOwnProperty.call(fields, name)
      ? JSON.stringify(fields[name]).slice(1, -1)
      : '',
  );
  try {
    JSON.parse(body);
  } catch (error) {
    throw new InputError(
      `The payload template does not render to JSON: ${
        (error as Error).message
      }`,
    );
  }
  return body;
}

/**
 * Renders an email subject as {@link renderText} does, on one line: line breaks a
 * value (an alert's annotation) carries become spaces, so no value can add a header.
 */
export function renderSubject(template: string, fields: MessageFields): string {
  return renderText(template, fields)
    .replace(/[\r\n]+/g, ' ')
    .trim();
}
