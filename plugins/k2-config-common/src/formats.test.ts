import {
  checkConfigFormat,
  configContentBytes,
  K2_CONFIG_CONTENT_MAX_BYTES,
} from './formats';

describe('checkConfigFormat', () => {
  describe('yaml', () => {
    it('accepts a well-formed file, several documents too', () => {
      expect(
        checkConfigFormat(
          'yaml',
          'server:\n  port: 8080\n---\nspring:\n  profiles: prod\n',
        ),
      ).toBeUndefined();
    });

    it('names the line and column of a nested mapping on one line', () => {
      expect(
        checkConfigFormat('yaml', 'server:\n  port: 8080\nspring: a: b\n'),
      ).toEqual({
        line: 3,
        column: 9,
        message: 'Nested mappings are not allowed in compact mappings',
      });
    });

    it('names the line of an error in the second document, without quoting it', () => {
      const error = checkConfigFormat(
        'yaml',
        'a: 1\n---\nb: 2\nb: 3\npassword: hunter2\n',
      );
      expect(error?.line).toBe(4);
      expect(error?.message).toBe('Map keys must be unique');
      expect(error?.message).not.toContain('hunter2');
    });
  });

  describe('json', () => {
    it('accepts a well-formed file', () => {
      expect(
        checkConfigFormat('json', '{\n  "a": [1, 2.5e3, true, null, "x"]\n}'),
      ).toBeUndefined();
    });

    it('names the line of a trailing comma', () => {
      expect(checkConfigFormat('json', '{\n  "a": 1,\n}\n')).toEqual({
        line: 3,
        column: 1,
        message: 'Expected double-quoted property name',
      });
    });

    it('finds the line of an unexpected token V8 does not place, without quoting the text', () => {
      const error = checkConfigFormat(
        'json',
        '{\n  "secret": "s3cr3t",\n  "a": }\n',
      );
      expect(error).toEqual({
        line: 3,
        column: 8,
        message: "Unexpected token '}'",
      });
    });

    it('places an unterminated document at its end', () => {
      expect(checkConfigFormat('json', '{\n  "a": [1,\n')).toMatchObject({
        line: 3,
      });
      expect(checkConfigFormat('json', '')).toMatchObject({ line: 1 });
    });
  });

  describe('xml', () => {
    it('accepts a well-formed document', () => {
      expect(
        checkConfigFormat(
          'xml',
          '<?xml version="1.0"?>\n<config a="1">\n  <b/>\n</config>\n',
        ),
      ).toBeUndefined();
    });

    it('names the line of a mismatched closing tag', () => {
      expect(
        checkConfigFormat('xml', '<config>\n  <b>\n</config>\n'),
      ).toMatchObject({ line: 3, message: expect.stringContaining("'b'") });
    });
  });

  describe('properties', () => {
    it('accepts what Java accepts: bare keys, = : and space separators, continuations, comments', () => {
      expect(
        checkConfigFormat(
          'properties',
          [
            '# comment',
            '! also a comment',
            'bare.key',
            'a=1',
            'b: 2',
            'c 3',
            'list = one, \\',
            '   two',
            'unicode=\\u00e9t\\u00E9',
            'path=C:\\\\temp',
          ].join('\n'),
        ),
      ).toBeUndefined();
    });

    it('names the line and column of a malformed \\u escape', () => {
      expect(checkConfigFormat('properties', 'a=1\nb=x\\u12g4\n')).toEqual({
        line: 2,
        column: 4,
        message: 'Malformed \\uxxxx encoding: \\u needs four hex digits',
      });
    });

    it('checks a continuation line too, and not an escaped backslash', () => {
      expect(
        checkConfigFormat('properties', 'a=one\\\n  \\u00\n'),
      ).toMatchObject({ line: 2, column: 3 });
      expect(checkConfigFormat('properties', 'a=\\\\u00\n')).toBeUndefined();
    });
  });

  describe('ini', () => {
    it('accepts sections, both separators, comments and continuations', () => {
      expect(
        checkConfigFormat(
          'ini',
          '; top\n[server]\nport = 8080\nhost: a\n# note\n\n[paths]\nlist = a\n  b\n',
        ),
      ).toBeUndefined();
    });

    it('names a line that is neither a section, a key nor a comment', () => {
      expect(
        checkConfigFormat('ini', '[server]\nport = 8080\njust words\n'),
      ).toEqual({
        line: 3,
        column: 1,
        message: 'Expected a [section], key=value or a ; comment',
      });
    });

    it('names a broken section header and a missing key', () => {
      expect(checkConfigFormat('ini', '[server\n')).toMatchObject({ line: 1 });
      expect(checkConfigFormat('ini', 'a=1\n=2\n')).toMatchObject({
        line: 2,
        message: 'A key is missing before the =',
      });
    });
  });

  it('never rejects plain text', () => {
    expect(checkConfigFormat('text', '{ [ < anything')).toBeUndefined();
  });

  it('counts UTF-8 bytes against the limit', () => {
    expect(configContentBytes('é')).toBe(2);
    expect(K2_CONFIG_CONTENT_MAX_BYTES).toBe(921600);
  });
});
