/**
 * Builds a large, realistic Coder `/snapshot` body from the real field set.
 *
 * Every element is a copy of an element of the vendor's example snapshot (the real keys, types and value
 * shapes), with fresh identifiers that keep the cross-references Coder sends (owner_id -> users[].id,
 * job_id -> provisioner_jobs[].id, …), so that pseudonym caching sees the same repetition a real
 * deployment produces. About 10 kB per user: 5,000 users give a body of roughly 50 MB.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

type Obj = Record<string, unknown>;

const EXAMPLE = path.resolve(__dirname, '..', '..', 'bench', 'fixtures', 'coder-snapshot.json');
const EXAMPLE_SRC = path.resolve(__dirname, 'fixtures', 'coder-snapshot.json');

function loadExample(): Obj {
  for (const file of [EXAMPLE_SRC, EXAMPLE]) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Obj;
    } catch {
      // try the next location: the generator runs both from src (ts-jest) and from dist
    }
  }
  throw new Error(`cannot read the example snapshot at ${EXAMPLE_SRC}`);
}

/** A deterministic UUID (v4 layout) for entity `kind` number `n`. */
function uuid(kind: number, n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${hex}`;
}

const KIND = { user: 0xb1, org: 0xa1, workspace: 0xc1, template: 0xe1, version: 0xe2, job: 0xd1, build: 0xd2,
  resource: 0xf1, agent: 0xf2, app: 0xf3, module: 0xf4, group: 0x91, netevent: 0x71 } as const;

function first(example: Obj, key: string): Obj[] {
  const value = example[key];
  if (!Array.isArray(value) || value.length === 0) throw new Error(`example snapshot has no ${key}`);
  return value as Obj[];
}

function pick<T>(items: T[], i: number): T {
  return items[i % items.length]!;
}

export interface GeneratedSnapshot { body: Buffer; users: number; elements: number }

export function generateCoderSnapshot(users: number): GeneratedSnapshot {
  const ex = loadExample();
  const org = uuid(KIND.org, 1);
  const templatesCount = Math.max(1, Math.ceil(users / 50));
  const groupsCount = Math.max(1, Math.ceil(users / 20));
  const out: Record<string, unknown> = { deployment_id: ex['deployment_id'] };
  const push = (key: string, value: Obj): void => {
    const list = (out[key] ??= []) as Obj[];
    list.push(value);
  };
  let elements = 0;
  const add = (key: string, template: Obj, fields: Obj): void => {
    push(key, { ...template, ...fields });
    elements++;
  };

  for (let t = 0; t < templatesCount; t++) {
    add('templates', pick(first(ex, 'templates'), t), { id: uuid(KIND.template, t), organization_id: org,
      created_by: uuid(KIND.user, t % users), active_version_id: uuid(KIND.version, t), name: `template-${t}` });
    add('template_versions', pick(first(ex, 'template_versions'), t), { id: uuid(KIND.version, t),
      template_id: uuid(KIND.template, t), organization_id: org, job_id: uuid(KIND.job, 10_000_000 + t) });
  }
  for (let g = 0; g < groupsCount; g++) {
    add('groups', pick(first(ex, 'groups'), g), { id: uuid(KIND.group, g), organization_id: org,
      name: `team-${g}`, display_name: `Team ${g}` });
  }
  for (let u = 0; u < users; u++) {
    const userId = uuid(KIND.user, u);
    add('users', pick(first(ex, 'users'), u), { id: userId, email: u === 0 ? 'admin@example.com' : null,
      email_hashed: `${(u * 2654435761).toString(16).padStart(64, '0')}@example.com` });
    for (let k = 0; k < 2; k++) {
      add('api_keys', pick(first(ex, 'api_keys'), u + k), { id: `k${k}${u.toString(36).padStart(8, '0')}`, user_id: userId,
        ip_address: k === 0 ? `10.${(u >> 16) & 255}.${(u >> 8) & 255}.${u & 255}` : `2001:db8::${u.toString(16)}` });
    }
    add('group_members', pick(first(ex, 'group_members'), u), { user_id: userId, group_id: uuid(KIND.group, u % groupsCount) });
    for (let w = 0; w < 3; w++) {
      const n = u * 3 + w;
      const templateId = uuid(KIND.template, n % templatesCount);
      add('workspaces', pick(first(ex, 'workspaces'), n), { id: uuid(KIND.workspace, n), organization_id: org,
        owner_id: userId, template_id: templateId, name: `ws-${u}-${w}` });
      add('provisioner_jobs', pick(first(ex, 'provisioner_jobs'), n), { id: uuid(KIND.job, n), organization_id: org,
        initiator_id: userId });
      add('workspace_build', pick(first(ex, 'workspace_build'), n), { id: uuid(KIND.build, n),
        workspace_id: uuid(KIND.workspace, n), template_version_id: uuid(KIND.version, n % templatesCount),
        job_id: uuid(KIND.job, n), build_number: w + 1 });
      add('workspace_resources', pick(first(ex, 'workspace_resources'), n), { id: uuid(KIND.resource, n),
        job_id: uuid(KIND.job, n) });
      add('workspace_resource_metadata', pick(first(ex, 'workspace_resource_metadata'), n), {
        resource_id: uuid(KIND.resource, n) });
      add('workspace_agents', pick(first(ex, 'workspace_agents'), n), { id: uuid(KIND.agent, n),
        resource_id: uuid(KIND.resource, n) });
      add('workspace_apps', pick(first(ex, 'workspace_apps'), n), { id: uuid(KIND.app, n), agent_id: uuid(KIND.agent, n) });
      add('workspace_agent_stats', pick(first(ex, 'workspace_agent_stats'), n), { user_id: userId,
        template_id: templateId, workspace_id: uuid(KIND.workspace, n), agent_id: uuid(KIND.agent, n) });
      add('workspace_modules', pick(first(ex, 'workspace_modules'), n), { id: uuid(KIND.module, n), job_id: uuid(KIND.job, n) });
    }
  }
  // Arrays a full periodic snapshot carries whole, at their example size.
  for (const key of ['organizations', 'licenses', 'workspace_proxies', 'telemetry_items', 'tasks', 'chat_model_configs']) {
    out[key] = ex[key];
  }
  for (const key of Object.keys(ex)) if (!(key in out)) out[key] = ex[key];
  return { body: Buffer.from(JSON.stringify(out), 'utf8'), users, elements };
}
