/**
 * The data inventory of a policy set, for `telegate policy report`: per vendor and endpoint, every field
 * rule with its action at levels 1 and 2 and its category, totals, and findings a privacy officer should
 * look at before signing (a secret that could leave, personal data in clear at the anonymous level).
 * A model only: rendering (Markdown, HTML) lives with the CLI.
 */
import type { Action, FieldCategory, PolicySet, SourcePosition } from './types';

export type InventoryCategory = FieldCategory | 'unclassified';

export interface InventoryField {
  path: string;
  category: InventoryCategory;
  actions: Record<1 | 2, Action>;
  position: SourcePosition;
}

export type ActionTotals = Record<Action, number>;

export interface InventoryEndpoint {
  method: string;
  path: string;
  /** What the instance is answered at level 0, when nothing leaves. */
  localReplyStatus: number;
  fields: InventoryField[];
  totals: Record<1 | 2, ActionTotals>;
}

export interface InventoryVendor {
  vendor: string;
  file: string;
  digest: string;
  upstream: string;
  hosts: readonly string[];
  headers: readonly string[];
  endpoints: InventoryEndpoint[];
}

export interface InventoryFinding {
  vendor: string;
  endpoint: string;
  path: string;
  position: SourcePosition;
  message: string;
}

export interface Inventory {
  vendors: InventoryVendor[];
  findings: InventoryFinding[];
}

export function buildInventory(set: PolicySet): Inventory {
  const vendors: InventoryVendor[] = [];
  const findings: InventoryFinding[] = [];
  const byName = [...set.policies.values()].sort((a, b) => a.vendor.localeCompare(b.vendor));
  for (const policy of byName) {
    const endpoints: InventoryEndpoint[] = [];
    for (const endpoint of [...policy.endpoints.values()].sort((a, b) => a.path.localeCompare(b.path))) {
      const fields = endpoint.rules.map((rule): InventoryField => ({
        path: rule.path, category: rule.category ?? 'unclassified', actions: { 1: rule.actions[1], 2: rule.actions[2] }, position: rule.position,
      }));
      for (const field of fields) {
        const at = { vendor: policy.vendor, endpoint: endpoint.path, path: field.path, position: field.position };
        if (field.category === 'secret' && (field.actions[1] !== 'drop' || field.actions[2] !== 'drop')) {
          findings.push({ ...at, message: `a secret that is not dropped at every level (level 1: ${field.actions[1]}, level 2: ${field.actions[2]})` });
        }
        if (field.category === 'personal' && field.actions[1] === 'allow') {
          findings.push({ ...at, message: 'personal data sent in clear at level 1, which is meant to be anonymous' });
        }
      }
      endpoints.push({ method: endpoint.method, path: endpoint.path, localReplyStatus: endpoint.localReply.status, fields, totals: { 1: totals(fields, 1), 2: totals(fields, 2) } });
    }
    vendors.push({ vendor: policy.vendor, file: policy.file, digest: policy.digest, upstream: policy.upstream, hosts: policy.hosts, headers: policy.headers, endpoints });
  }
  return { vendors, findings };
}

function totals(fields: readonly InventoryField[], level: 1 | 2): ActionTotals {
  const t: ActionTotals = { allow: 0, hash: 0, drop: 0 };
  for (const f of fields) t[f.actions[level]]++;
  return t;
}
