export {
  ImageReferenceError,
  IMAGE_TAG_PATTERN,
  imageVersion,
  parseImageReference,
  shortImageVersion,
  stringifyImageReference,
  tryParseImageReference,
} from './imageReference';
export type { ImageReference } from './imageReference';
