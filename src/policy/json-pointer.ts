/**
 * JSON pointers (RFC 6901) name places in the policy document: ajv reports errors by `instancePath`, and
 * the YAML locator maps the same pointers to source positions.
 */

export function escapeSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointerOf(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) out += `/${escapeSegment(String(s))}`;
  return out;
}

export function segmentsOf(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function parentPointer(pointer: string): string {
  const i = pointer.lastIndexOf('/');
  return i <= 0 ? '' : pointer.slice(0, i);
}

/**
 * A place in a policy as a reviewer would name it: `endpoint "/snapshot" field "users[*].email" level 1`,
 * `hosts[0]`, `upstream`.
 */
export function describeLocation(segments: readonly string[]): string {
  if (segments.length === 0) return 'the policy';
  const [top, endpoint, section, field, ...rest] = segments;
  if (top === 'endpoints' && endpoint !== undefined) {
    let out = `endpoint ${JSON.stringify(endpoint)}`;
    if (section === undefined) return out;
    if (section === 'fields' && field !== undefined) {
      out += ` field ${JSON.stringify(field)}`;
      const [inner, ...deeper] = rest;
      if (inner === undefined) return out;
      out += inner === '1' || inner === '2' ? ` level ${inner}` : ` ${inner}`;
      return deeper.length ? `${out}${dotted(deeper)}` : out;
    }
    return `${out} ${section}${dotted(field === undefined ? rest : [field, ...rest])}`;
  }
  return `${top}${dotted(segments.slice(1))}`;
}

function dotted(segments: readonly string[]): string {
  let out = '';
  for (const s of segments) out += /^\d+$/.test(s) ? `[${s}]` : `.${s}`;
  return out;
}
