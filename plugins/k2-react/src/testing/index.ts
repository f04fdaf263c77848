/**
 * Test helpers for K2's frontend packages (`@internal/plugin-k2-react/testUtils`): kept
 * out of the main entry so no test code reaches the app's bundle.
 */
export { failOnReactWarnings } from './reactWarnings';
export type { AllowedWarning } from './reactWarnings';
export { languageApis } from './languageApis';
export { translationProblems, untranslatedTexts } from './translationParity';
export type { NestedMessages } from './translationParity';
export { K2_TEST_CONFIG, minutesAgo } from './fixtures';
export { renderK2EntityTab, setupUser } from './entityTab';
