/**
 * The vendor's cloud for the proxy bench: the cheapest HTTP server Node offers that still reads every
 * body byte (a proxy under test must not gain from the vendor skipping its input). RudderStack's data
 * plane answers `200 OK`, Coder's `202` with no body. Run as its own process (`node stand-in-vendor.js`),
 * it prints `{"port": N}` once listening, so its CPU is not the load generator's or the orchestrator's.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

function answer(req: IncomingMessage, res: ServerResponse): void {
  req.on('end', () => {
    if (req.url === '/v1/batch') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('OK');
    } else {
      res.writeHead(202, { 'content-length': '0' });
      res.end();
    }
  });
  req.resume();
}

if (require.main === module) {
  const server = createServer({ keepAliveTimeout: 60_000 }, answer);
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}
