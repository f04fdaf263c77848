import fs from 'fs';
import os from 'os';
import path from 'path';
import { parseAgentConfig } from './config';
import { truncateUtf8 } from './K2Client';

const base = ['--k2-url', 'https://k2.example.com/', '--cluster', 'edge'];

describe('parseAgentConfig', () => {
  it('reads flags, falls back to the environment, and derives the reload command', () => {
    const config = parseAgentConfig(
      [...base, '--nginx-conf', '/etc/nginx/nginx.conf', '--host=web-1'],
      { K2_AGENT_TOKEN: 's3cret\n', K2_NGINX_BIN: '/usr/sbin/nginx' },
    );
    expect(config).toEqual({
      k2Url: 'https://k2.example.com',
      cluster: 'edge',
      host: 'web-1',
      token: 's3cret',
      nginxBin: '/usr/sbin/nginx',
      nginxConf: '/etc/nginx/nginx.conf',
      nginxPrefix: undefined,
      reloadCommand: [
        '/usr/sbin/nginx',
        '-c',
        '/etc/nginx/nginx.conf',
        '-s',
        'reload',
      ],
      retryMinMs: 1000,
      retryMaxMs: 60000,
    });
  });

  it('defaults the host to the hostname and reads the token from a file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-agent-config-'));
    try {
      fs.writeFileSync(path.join(dir, 'token'), 'from-file\n');
      const config = parseAgentConfig(
        [
          ...base,
          '--token-file',
          path.join(dir, 'token'),
          '--reload-command',
          'systemctl reload nginx',
        ],
        { K2_AGENT_TOKEN: 'ignored' },
      );
      expect(config).toMatchObject({
        host: os.hostname(),
        token: 'from-file',
        reloadCommand: ['systemctl', 'reload', 'nginx'],
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names what is missing or wrong, never the token', () => {
    expect(() => parseAgentConfig(['--cluster', 'edge'], {})).toThrow(
      '--k2-url (or K2_URL) is required',
    );
    expect(() => parseAgentConfig(base, {})).toThrow('no agent token');
    expect(() =>
      parseAgentConfig([...base, '--token-file', '/nonexistent/token'], {}),
    ).toThrow('--token-file /nonexistent/token cannot be read (ENOENT)');
    expect(() =>
      parseAgentConfig(['--k2-url', 'ftp://x', '--cluster', 'e'], {
        K2_AGENT_TOKEN: 't',
      }),
    ).toThrow('--k2-url must be an http or https URL');
    expect(() =>
      parseAgentConfig([...base, '--token', 'abc'], { K2_AGENT_TOKEN: 't' }),
    ).toThrow('unknown option --token');
    expect(() =>
      parseAgentConfig([...base, '--retry-min-ms', '0'], {
        K2_AGENT_TOKEN: 't',
      }),
    ).toThrow('--retry-min-ms must be a positive integer');
    expect(parseAgentConfig(['--help'], {})).toBe('help');
  });
});

describe('truncateUtf8', () => {
  it('keeps a report error within 8 KiB without splitting a character', () => {
    const text = `${'a'.repeat(8191)}é and more`;
    const cut = truncateUtf8(text, 8192);
    expect(cut).toBe('a'.repeat(8191));
    expect(Buffer.byteLength(truncateUtf8('é'.repeat(5000), 8192))).toBe(8192);
    expect(truncateUtf8('short', 8192)).toBe('short');
  });
});
