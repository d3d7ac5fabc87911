/**
 * The least a Node.js proxy that buffers bodies can do: read the whole request, send the same bytes to
 * the vendor over a keep-alive agent, relay status and body. No parsing, policy, audit, log or metrics.
 * In the bench it separates what Node's HTTP stack costs (this) from what telegate's own work costs
 * (telegate minus this), which nginx alone cannot tell. Runs as its own process:
 *   node node-floor-proxy.js http://127.0.0.1:PORT   -> prints {"port": N}
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

if (require.main === module) {
  const upstream = new URL(process.argv[2] ?? 'http://127.0.0.1:80');
  const agent = new Agent({ keepAlive: true });
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const out = request({ agent, host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
        headers: { 'content-type': 'application/json', 'content-length': String(body.length) } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers['content-length'] ? { 'content-length': up.headers['content-length'] } : {});
        up.pipe(res);
      });
      out.on('error', () => { res.writeHead(502); res.end(); });
      out.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}
