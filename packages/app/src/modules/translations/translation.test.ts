import { translationProblems } from '@internal/plugin-k2-react/testUtils';
import { k2AppMessages } from './translation';
import zh from './zh/k2App';

describe('the app’s K2 translations', () => {
  it('Simplified Chinese has every English key, no other, and keeps every placeholder', () => {
    expect(translationProblems(k2AppMessages, zh.messages)).toEqual([]);
  });
});
