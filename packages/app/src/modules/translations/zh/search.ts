import { createTranslationMessages } from '@backstage/frontend-plugin-api';
import { searchTranslationRef } from '@backstage/plugin-search';

/**
 * Simplified Chinese for the one search word K2's nav shows (its Search item, drawn by
 * the search plugin). The search plugin has no Chinese of its own; everything else of
 * it stays English.
 */
export default createTranslationMessages({
  ref: searchTranslationRef,
  full: false,
  messages: {
    'sidebarSearchModal.title': '搜索',
  },
});
