/**
 * The policy set in force, and its replacement on reload (SPEC §5): a new set is loaded and validated
 * whole, its routes and vendor proxies built, and only then swapped in with one assignment. A set with
 * any error is refused whole and the running one stays. Requests take a snapshot when they arrive, so a
 * request is judged by one policy set from start to end.
 */
import type { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Agent as PlainAgent } from 'node:http';
import { formatPolicyError, loadPolicySet, type Level, type PolicySet } from '../policy';
import { RouteTable, type VendorRoute } from './route-table';
import { createVendorProxy, type VendorProxy } from './upstream-proxy';

export interface VendorSetting { level: Level; upstream?: string }

export interface RuntimeOptions {
  policyPaths: string[];
  /** Per vendor: the enforced level and an upstream override (configuration + environment). */
  vendorSetting: (vendor: string) => VendorSetting;
  /** Vendors the configuration names: each must have a policy, or the set is refused. */
  configuredVendors: readonly string[];
  upstreamTimeoutMs: number;
}

export interface RuntimeSnapshot {
  policySet: PolicySet;
  routes: RouteTable;
  proxies: ReadonlyMap<string, VendorProxy>;
}

export type LoadOutcome = { ok: true; snapshot: RuntimeSnapshot } | { ok: false; errors: string[] };

export class PolicyRuntime {
  private current: RuntimeSnapshot | undefined;
  /** Keep-alive connections per upstream origin, reused across reloads. */
  private readonly agents = new Map<string, HttpAgent>();
  private loading: Promise<LoadOutcome> = Promise.resolve({ ok: false, errors: ['not loaded'] });

  constructor(private readonly options: RuntimeOptions) {}

  get snapshot(): RuntimeSnapshot {
    if (!this.current) throw new Error('no policy set loaded');
    return this.current;
  }

  get loaded(): boolean {
    return this.current !== undefined;
  }

  /** Loads and swaps in a new set; reloads run one at a time, in order. */
  load(): Promise<LoadOutcome> {
    this.loading = this.loading.then(() => this.loadNow(), () => this.loadNow());
    return this.loading;
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private async loadNow(): Promise<LoadOutcome> {
    const loaded = await loadPolicySet(this.options.policyPaths);
    if (!loaded.ok) return { ok: false, errors: loaded.errors.map(formatPolicyError) };
    const errors: string[] = [];
    const vendors: VendorRoute[] = [];
    for (const name of this.options.configuredVendors) {
      if (!loaded.value.policies.has(name)) errors.push(`vendors.${name}: no policy for this vendor in ${this.options.policyPaths.join(', ')}`);
    }
    for (const policy of loaded.value.policies.values()) {
      const setting = this.options.vendorSetting(policy.vendor);
      const upstreamText = setting.upstream ?? policy.upstream;
      let upstream: URL;
      try {
        upstream = new URL(upstreamText);
      } catch {
        errors.push(`vendors.${policy.vendor}.upstream: not a URL`);
        continue;
      }
      if (upstream.protocol !== 'https:' && upstream.protocol !== 'http:') {
        errors.push(`vendors.${policy.vendor}.upstream: must be an http or https URL`);
        continue;
      }
      vendors.push({ policy, level: setting.level, upstream });
    }
    if (errors.length > 0) return { ok: false, errors };
    const proxies = new Map<string, VendorProxy>();
    for (const vendor of vendors) {
      proxies.set(vendor.policy.vendor, createVendorProxy(vendor, this.agentFor(vendor.upstream), this.options.upstreamTimeoutMs));
    }
    this.current = { policySet: loaded.value, routes: new RouteTable(vendors), proxies };
    return { ok: true, snapshot: this.current };
  }

  private agentFor(upstream: URL): HttpAgent {
    let agent = this.agents.get(upstream.origin);
    if (!agent) {
      // rejectUnauthorized is the default; stated because upstream TLS must be verified (SPEC §5).
      agent = upstream.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, rejectUnauthorized: true })
        : new PlainAgent({ keepAlive: true });
      this.agents.set(upstream.origin, agent);
    }
    return agent;
  }
}
