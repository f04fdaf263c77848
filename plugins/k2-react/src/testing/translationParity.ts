/** Messages as a translation ref declares them: nested objects of strings. */
export type NestedMessages = { [key in string]: NestedMessages | string };

function flatten(messages: NestedMessages, prefix = ''): Map<string, string> {
  const flat = new Map<string, string>();
  for (const [key, value] of Object.entries(messages)) {
    if (typeof value === 'string') flat.set(`${prefix}${key}`, value);
    else flatten(value, `${prefix}${key}.`).forEach((v, k) => flat.set(k, v));
  }
  return flat;
}

function placeholders(message: string): Set<string> {
  return new Set(
    Array.from(message.matchAll(/\{\{\s*([\w.]+)/g), match => match[1]),
  );
}

/**
 * What a translation gets wrong against the English messages of its ref, one line per
 * problem (empty when it is complete): a key the English has and it lacks or leaves
 * empty, a key the English does not have, a `{{placeholder}}` of the English message
 * it drops, or one it invents. Used by each K2 package's translation test.
 */
export function translationProblems(
  english: NestedMessages,
  translation: { [key in string]: string | null },
): string[] {
  const source = flatten(english);
  const problems: string[] = [];
  for (const [key, message] of source) {
    const translated = translation[key];
    if (!translated) {
      problems.push(`missing: ${key}`);
      continue;
    }
    const expected = placeholders(message);
    const actual = placeholders(translated);
    for (const name of expected) {
      if (!actual.has(name)) problems.push(`${key} drops {{${name}}}`);
    }
    for (const name of actual) {
      if (!expected.has(name)) problems.push(`${key} invents {{${name}}}`);
    }
  }
  for (const key of Object.keys(translation)) {
    if (!source.has(key)) problems.push(`extra: ${key}`);
  }
  return problems;
}

/**
 * Every English message of a ref that reads differently in the translation, as a
 * pattern that matches the whole message with any values in its placeholders.
 */
function englishPatterns(
  english: NestedMessages,
  translated: { [key in string]: string | null },
): RegExp[] {
  const patterns: RegExp[] = [];
  for (const [key, message] of flatten(english)) {
    if (translated[key] === message) continue;
    const fixed = message
      .trim()
      .split(/\{\{\s*\w+\s*\}\}/)
      .map(part => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    patterns.push(new RegExp(`^${fixed.join('.+')}$`));
  }
  return patterns;
}

/** What the user reads or hears: every text on the page and every aria-label. */
function shownTexts(): string[] {
  const texts: string[] = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) texts.push(walker.currentNode.textContent ?? '');
  document
    .querySelectorAll('[aria-label]')
    .forEach(e => texts.push(e.getAttribute('aria-label') ?? ''));
  return texts.map(text => text.trim()).filter(Boolean);
}

/**
 * The texts and aria-labels on the rendered page that are still an English message of
 * one of the refs (with any values in its placeholders) where the translation reads
 * differently: what a reader of the translation would find untranslated. Texts listed
 * in `shownAsIs` (what a cluster or a tool said, shown in its own words) are skipped.
 */
export function untranslatedTexts(
  refs: Array<{
    english: NestedMessages;
    translated: { [key in string]: string | null };
  }>,
  shownAsIs: string[] = [],
): string[] {
  const patterns = refs.flatMap(ref =>
    englishPatterns(ref.english, ref.translated),
  );
  return shownTexts().filter(
    text =>
      !shownAsIs.includes(text) && patterns.some(pattern => pattern.test(text)),
  );
}
