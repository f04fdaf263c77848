import { k2ReactMessages } from './translation';
import zh from './translations/zh';
import { translationProblems } from './testing';

describe('k2-react translations', () => {
  it('Simplified Chinese has every English key, no other, and keeps every placeholder', () => {
    expect(translationProblems(k2ReactMessages, zh.messages)).toEqual([]);
  });

  it('names what a translation gets wrong', () => {
    expect(
      translationProblems(
        { a: 'Release #{{number}}', b: { c: 'Cancel' } },
        { a: '发布', d: '多余' },
      ),
    ).toEqual(['a drops {{number}}', 'missing: b.c', 'extra: d']);
  });
});
