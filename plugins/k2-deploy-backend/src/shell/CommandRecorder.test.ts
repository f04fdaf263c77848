import { CommandRecorder, MAX_COMMANDS, MAX_LINE } from './CommandRecorder';

const lines = (input: string | string[]) => {
  const recorder = new CommandRecorder(
    () => new Date('2026-11-27T10:00:00.000Z'),
  );
  for (const chunk of Array.isArray(input) ? input : [input]) {
    recorder.write(chunk);
  }
  return recorder.commands.map(c => c.line);
};

describe('CommandRecorder', () => {
  it('records lines as a line editor ends them, typed in any chunks', () => {
    expect(lines(['l', 's\r', 'en', 'v\rexit\n'])).toEqual([
      'ls',
      'env',
      'exit',
    ]);
    expect(lines('\r\r  \n')).toEqual([]);
  });

  it('applies backspace, DEL, Ctrl-U and Ctrl-C as the shell does', () => {
    expect(lines('lz\x7fs -la\r')).toEqual(['ls -la']);
    expect(lines('cat\b\b\bps\r')).toEqual(['ps']);
    expect(lines('rm -rf /\x15echo hi\r')).toEqual(['echo hi']);
    expect(lines('sleep 100\x03id\r')).toEqual(['id']);
  });

  it('drops escape sequences: arrows, function keys, bracketed paste marks, OSC', () => {
    expect(lines('ls\x1b[A\x1b[D -l\x1bOP\r')).toEqual(['ls -l']);
    expect(lines('\x1b[200~echo pasted\x1b[201~\r')).toEqual(['echo pasted']);
    expect(lines('\x1b]0;title\x07pwd\r')).toEqual(['pwd']);
    expect(lines('\x1b]0;title\x1b\\uname -a\r')).toEqual(['uname -a']);
    expect(lines('echo é 中\r')).toEqual(['echo é 中']);
  });

  it('keeps at most 1,000 lines of at most 1,000 characters', () => {
    expect(lines(`${'x'.repeat(MAX_LINE + 50)}\r`)[0]).toHaveLength(MAX_LINE);
    expect(lines('a\r'.repeat(MAX_COMMANDS + 5))).toHaveLength(MAX_COMMANDS);
  });
});
