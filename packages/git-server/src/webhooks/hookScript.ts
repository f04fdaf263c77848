/**
 * The post-receive hook's program, written next to the hook in every repository and
 * run by the node that runs the server. git gives it `<before> <after> <ref>` lines on
 * stdin; it posts them, with the repository directory and the authenticated pusher,
 * to the server that ran the push (K2_GIT_HOOK_URL, K2_GIT_HOOK_TOKEN from the
 * server's environment) and ends. The server sends the webhooks afterwards, so a
 * receiver that is down or slow never holds or fails the push; the hook itself exits
 * 0 whatever happens and says on stderr (the pusher sees `remote: ...`) when the
 * server did not take the refs.
 */
export const POST_RECEIVE_SCRIPT = `'use strict';
// Written by K2's local Git server on every start; edits are overwritten.
const http = require('http');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', chunk => (input += chunk));
process.stdin.on('end', () => {
  const updates = input
    .split('\\n')
    .filter(line => line.trim() !== '')
    .map(line => {
      const [before, after, ref] = line.trim().split(' ');
      return { before, after, ref };
    });
  const body = JSON.stringify({
    gitDir: process.cwd(),
    pusher: process.env.REMOTE_USER || '',
    updates,
  });
  const done = message => {
    if (message) process.stderr.write('K2: push webhooks not sent: ' + message + '\\n');
    process.exit(0);
  };
  const request = http.request(
    process.env.K2_GIT_HOOK_URL,
    {
      method: 'POST',
      timeout: 10000,
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer ' + process.env.K2_GIT_HOOK_TOKEN,
      },
    },
    response => {
      response.resume();
      done(response.statusCode === 202 ? '' : 'the Git server answered ' + response.statusCode);
    },
  );
  request.on('timeout', () => request.destroy(new Error('the Git server did not answer')));
  request.on('error', error => done(error.message));
  request.end(body);
});
`;
