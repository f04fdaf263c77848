/**
 * Every string the shared K2 components show, in one place so that they move to a
 * translation ref (`createTranslationRef`) as they are; components take overrides as
 * props where the caller knows better words.
 */
export const k2ReactMessages = {
  cancel: 'Cancel',
  preview: 'What will change',
  loading: 'Loading…',
  environment: 'Environment',
  subViews: 'Views',
};
