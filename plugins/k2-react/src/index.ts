/**
 * K2's shared frontend pieces: what every K2 tab uses to look and behave the same
 * (docs/ui.md names each convention and the component that implements it).
 *
 * @packageDocumentation
 */
export { ActionButton } from './components/ActionButton';
export { ActionDialog } from './components/ActionDialog';
export { DetailDrawer } from './components/DetailDrawer';
export {
  EnvironmentSwitcher,
  useEnvironmentParam,
} from './components/EnvironmentSwitcher';
export type { SwitcherEnvironment } from './components/EnvironmentSwitcher';
export { ErrorText } from './components/ErrorText';
export { useLoad } from './hooks/useLoad';
export type { Loaded } from './hooks/useLoad';
export { LineDiff } from './components/diff/LineDiff';
export { textLines } from './components/diff/diffRows';
export type { DiffLine } from './components/diff/diffRows';
export { FilterSelect } from './components/FilterSelect';
export {
  k2ReactMessages,
  k2ReactTranslationRef,
  k2ReactTranslations,
} from './translation';
/** The shared components' Simplified Chinese, for tests that render them in it. */
export { default as k2ReactZh } from './translations/zh';
export { Mono, monospaceFontFamily } from './components/Mono';
export {
  absoluteTime,
  RelativeTime,
  relativeTime,
  useAppLocale,
} from './components/RelativeTime';
export { SubViews } from './components/SubViews';
export type { SubView } from './components/SubViews';
export { ViewState } from './components/ViewState';
