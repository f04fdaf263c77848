'use strict';

const http = require('http');
const log = require('./log');

const port = Number(process.env.PORT || ${{ values.port }});

const server = http.createServer((req, res) => {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    if (req.url === '/healthz') return; // K2's probes, every few seconds
    log.info('request', {
      method: req.method,
      path: req.url,
      status: res.statusCode,
      ms: Number(process.hrtime.bigint() - started) / 1e6,
    });
  });
  const reply = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.url === '/healthz') {
    reply(200, { status: 'ok' });
  } else if (req.url === '/' && req.method === 'GET') {
    reply(200, { service: '${{ values.name }}', message: 'Hello from K2' });
  } else {
    reply(404, { error: 'not found' });
  }
});

server.listen(port, () => log.info('listening', { port }));

// Kubernetes stops a pod with SIGTERM: finish the requests in flight, then exit.
process.on('SIGTERM', () => {
  log.info('stopping');
  server.close(() => log.flush(() => process.exit(0)));
});
