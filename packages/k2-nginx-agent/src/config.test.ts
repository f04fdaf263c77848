import fs from 'fs';
import os from 'os';
import path from 'path';
import { parseAgentConfig } from './config';
import { truncateUtf8 } from './K2Client';

const base = ['--k2-url', 'https://k2.example.com/', '--cluster', 'edge'];
const TOKEN = 'k2-agent-token-0123456789abcdef0123';
const FILE_TOKEN = 'k2-agent-token-from-a-file-0123456789';

describe('parseAgentConfig', () => {
  it('reads flags, falls back to the environment, and derives the reload command', () => {
    const config = parseAgentConfig(
      [...base, '--nginx-conf', '/etc/nginx/nginx.conf', '--host=web-1'],
      { K2_AGENT_TOKEN: `${TOKEN}\n`, K2_NGINX_BIN: '/usr/sbin/nginx' },
    );
    expect(config).toEqual({
      k2Url: 'https://k2.example.com',
      cluster: 'edge',
      host: 'web-1',
      token: TOKEN,
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
      fs.writeFileSync(path.join(dir, 'token'), `${FILE_TOKEN}\n`);
      const config = parseAgentConfig(
        [
          ...base,
          '--token-file',
          path.join(dir, 'token'),
          '--reload-command',
          'systemctl reload nginx',
        ],
        { K2_AGENT_TOKEN: TOKEN },
      );
      expect(config).toMatchObject({
        host: os.hostname(),
        token: FILE_TOKEN,
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
      parseAgentConfig(base, { K2_AGENT_TOKEN: 'short-token' }),
    ).toThrow(
      'the agent token has fewer than 32 characters; K2 accepts no shorter cluster token',
    );
    expect(() =>
      parseAgentConfig([...base, '--token-file', '/nonexistent/token'], {}),
    ).toThrow('--token-file /nonexistent/token cannot be read (ENOENT)');
    expect(() =>
      parseAgentConfig(['--k2-url', 'ftp://x', '--cluster', 'e'], {
        K2_AGENT_TOKEN: TOKEN,
      }),
    ).toThrow('--k2-url must be an http or https URL');
    expect(() =>
      parseAgentConfig([...base, '--token', 'abc'], { K2_AGENT_TOKEN: TOKEN }),
    ).toThrow('unknown option --token');
    expect(() =>
      parseAgentConfig([...base, '--retry-min-ms', '0'], {
        K2_AGENT_TOKEN: TOKEN,
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
