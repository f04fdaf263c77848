/** The Dockerfile's path in the service's repository; absent: generated from the language. */
export const ANNOTATION_DOCKERFILE = 'k2.io/dockerfile';
/** The branch a build takes when none is asked for; absent: the repository's default branch. */
export const ANNOTATION_BUILD_BRANCH = 'k2.io/build-branch';
/** The environment a succeeded build releases to; absent: none. */
export const ANNOTATION_BUILD_RELEASE = 'k2.io/build-release';
