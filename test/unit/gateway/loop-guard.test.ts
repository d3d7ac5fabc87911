/**
 * The loop guard tells telegate's own forwarded requests from an instance's, by the connection they came
 * on. Linux lets two connections share a local port when their destinations differ, so an instance's
 * connection to telegate can leave from the port of an open upstream connection to the vendor: that
 * instance must be served, and only the forward that came back refused.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { LoopGuard } from '../../../src/gateway/loop-guard';

/** The four addresses of a connected socket, as node:net reports them. */
function socket(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): Socket & EventEmitter {
  return Object.assign(new EventEmitter(), { localAddress, localPort, remoteAddress, remotePort, connecting: false }) as unknown as Socket & EventEmitter;
}

const TELEGATE = 8080;
const VENDOR = 443;

test('a request on the other side of an upstream connection is a loop; one from the same local port to telegate is not', () => {
  const guard = new LoopGuard();
  // telegate forwards from 127.0.0.1:40000 to what it takes for the vendor.
  guard.track(socket('127.0.0.1', 40000, '127.0.0.1', TELEGATE));
  // That connection arrives at telegate's listener: same two ends, seen from the other side.
  expect(guard.comesBack(socket('127.0.0.1', TELEGATE, '127.0.0.1', 40000))).toBe(true);

  const other = new LoopGuard();
  other.track(socket('127.0.0.1', 40000, '127.0.0.1', VENDOR));
  // An instance whose connection to telegate happens to leave from port 40000 too.
  expect(other.comesBack(socket('127.0.0.1', TELEGATE, '127.0.0.1', 40000))).toBe(false);
});

test('an IPv4-mapped IPv6 address is the same address', () => {
  const guard = new LoopGuard();
  guard.track(socket('127.0.0.1', 40001, '127.0.0.1', TELEGATE));
  expect(guard.comesBack(socket('::ffff:127.0.0.1', TELEGATE, '::ffff:127.0.0.1', 40001))).toBe(true);
});

test('a closed upstream connection is forgotten', () => {
  const guard = new LoopGuard();
  const upstream = socket('127.0.0.1', 40002, '127.0.0.1', TELEGATE);
  guard.track(upstream);
  upstream.emit('close');
  expect(guard.comesBack(socket('127.0.0.1', TELEGATE, '127.0.0.1', 40002))).toBe(false);
});
