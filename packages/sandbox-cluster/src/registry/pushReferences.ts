import { tryParseImageReference } from '@internal/plugin-k2-common';

/** The tags to push per repository path, from `REPOSITORY:TAG` arguments. */
export function parsePushReferences(
  references: string[],
): Map<string, string[]> {
  const byRepository = new Map<string, string[]>();
  for (const reference of references) {
    const image = tryParseImageReference(reference);
    if (!image || image.implicitTag || image.digest || !image.tag) {
      throw new Error(
        `'${reference}' is not REPOSITORY:TAG (a tag is needed, a digest cannot be pushed)`,
      );
    }
    const tags = byRepository.get(image.path) ?? [];
    if (!tags.includes(image.tag)) tags.push(image.tag);
    byRepository.set(image.path, tags);
  }
  return byRepository;
}
