/** isLoopbackHost decides whether the admin port may answer POST /reload without a token (SPEC §8). */
import { isLoopbackHost } from '../../../src/config';

describe('isLoopbackHost', () => {
  test.each(['127.0.0.1', '127.0.0.53', '127.255.255.254', 'localhost', 'LOCALHOST', 'localhost.', '::1', '[::1]',
    '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  test.each(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '1.127.0.0', '127.0.0', '127.0.0.256', 'localhost.example.com',
    'mylocalhost', '::2', '::ffff:10.0.0.1', '', '127.0.0.1.nip.io'])('%j is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});
