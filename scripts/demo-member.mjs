#!/usr/bin/env node
// A stand-in VM for ./k2 start's demo: answers every request with who it is, so the
// local Nginx has a member to reach for the demo service's manual upstream member.
//
//   node scripts/demo-member.mjs PORT SERVICE
import http from 'node:http';

const port = Number(process.argv[2] ?? 8481);
const service = process.argv[3] ?? 'payment-gateway';
http
  .createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(
      `${service}: manual member 127.0.0.1:${port} (K2's demo VM) answered ${req.method} ${req.url} for Host ${req.headers.host}\n`,
    );
  })
  .listen(port, '127.0.0.1');
