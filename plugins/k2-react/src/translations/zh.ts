import { createTranslationMessages } from '@backstage/frontend-plugin-api';
import { k2ReactTranslationRef } from '../translation';

/** Simplified Chinese for the shared K2 components: every key, none left to English. */
const zh = createTranslationMessages({
  ref: k2ReactTranslationRef,
  full: true,
  messages: {
    cancel: '取消',
    preview: '变更内容',
    environment: '环境',
    subViews: '视图',
  },
});

export default zh;
