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
    'diff.changes_one': '{{count}} 处变更',
    'diff.changes_other': '{{count}} 处变更',
    'diff.summary': '{{total}}：{{parts}}',
    'diff.separator': '，',
    'diff.changed_one': '修改 {{count}} 处',
    'diff.changed_other': '修改 {{count}} 处',
    'diff.added_one': '新增 {{count}} 处',
    'diff.added_other': '新增 {{count}} 处',
    'diff.removed_one': '删除 {{count}} 处',
    'diff.removed_other': '删除 {{count}} 处',
    'diff.noChanges': '没有差异',
    'diff.lines': '显示范围',
    'diff.changesOnly': '仅变更',
    'diff.allLines': '全部内容',
    'diff.layout': '对比方式',
    'diff.split': '左右对比',
    'diff.unified': '合并视图',
    'diff.showUnchanged_one': '展开 {{count}} 行未变更内容',
    'diff.showUnchanged_other': '展开 {{count}} 行未变更内容',
    'diff.removedLine': '删除：',
    'diff.addedLine': '新增：',
    'diff.maskedChanged': '值已更改',
    'diff.lineNumber': '行号',
  },
});

export default zh;
