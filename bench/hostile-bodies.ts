/**
 * Small request bodies that cost far more than their size (issue 14, "small inputs, large costs"), as the
 * bench and the e2e tests send them to a Coder `/snapshot` route. Each is built here, not stored: the
 * decoded forms are megabytes to hundreds of megabytes.
 */
import { gzipSync } from 'node:zlib';

export interface HostileBody {
  name: string;
  /** The bytes as sent (gzip where `encoding` says so). */
  body: Buffer;
  encoding?: 'gzip';
  /** Size after decoding, for the tables. */
  decodedBytes: number;
}

function gzipped(name: string, text: Buffer): HostileBody {
  return { name, body: gzipSync(text, { level: 9 }), encoding: 'gzip', decodedBytes: text.length };
}

/** `{"users":[{},{},…]}` with `count` empty objects: one value each, under limits.values, and each kept. */
export function emptyObjects(count = 4_990_000): HostileBody {
  const text = Buffer.alloc(10 + count * 3 - 1 + 2);
  let at = text.write('{"users":[', 0, 'latin1');
  for (let i = 0; i < count; i++) at += text.write(i === 0 ? '{}' : ',{}', at, 'latin1');
  text.write(']}', at, 'latin1');
  return gzipped(`${(count / 1e6).toFixed(2)} M empty objects`, text);
}

/**
 * One string of `megabytes` MB where a string is allowed (the deployment id), as gzip members of 1 MB
 * each (a gzip body may hold several; decoders read them as one stream): the body is built without ever
 * holding the 200 MB text.
 */
export function hugeString(megabytes = 200): HostileBody {
  const chunk = Buffer.alloc(1_000_000, 'a');
  const open = '{"deployment_id":"';
  const member = gzipSync(chunk, { level: 9 });
  const members = [gzipSync(Buffer.concat([Buffer.from(open), chunk]), { level: 9 })];
  for (let i = 2; i < megabytes; i++) members.push(member);
  members.push(gzipSync(Buffer.concat([chunk, Buffer.from('"}')]), { level: 9 }));
  return { name: `one ${megabytes} MB string`, body: Buffer.concat(members), encoding: 'gzip', decodedBytes: megabytes * 1_000_000 + open.length + 2 };
}

/** One integer of `digits` digits, as the value of a counter the pack keeps (an int64 in Coder's Go). */
export function longInteger(digits = 4_000_000): HostileBody {
  const prefix = '{"deployment_id":"3f6c9a1e-5b2d-4e8f-9a7c-1d2e3f4a5b6c","boundary_usage_summary":{"unique_users":';
  const text = Buffer.alloc(prefix.length + digits + 2, '7');
  text.write(prefix, 0, 'latin1');
  text.write('1', prefix.length, 'latin1');
  text.write('}}', prefix.length + digits, 'latin1');
  return gzipped(`one ${(digits / 1e6).toFixed(0)}-million-digit integer`, text);
}

/** About `bytes` of plain JSON, every member a key no pack names (`k000000`, `k000001`, …). */
export function distinctUnknownKeys(bytes = 832_000): HostileBody {
  const parts: string[] = [];
  let size = 2;
  for (let i = 0; size < bytes; i++) {
    const member = `"k${i.toString().padStart(6, '0')}":${i % 10}`;
    parts.push(member);
    size += member.length + 1;
  }
  const text = Buffer.from(`{${parts.join(',')}}`, 'latin1');
  return { name: `${(text.length / 1000).toFixed(0)} KB of distinct unknown keys`, body: text, decodedBytes: text.length };
}

export function hostileBodies(): HostileBody[] {
  return [emptyObjects(), hugeString(), longInteger(), distinctUnknownKeys()];
}
