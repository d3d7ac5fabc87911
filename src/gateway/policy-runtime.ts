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
import { LoopGuard, type SiblingEnds } from './loop-guard';
import { RouteTable, type VendorRoute } from './route-table';
import { createUpstreamProxy, type UpstreamProxy } from './upstream-proxy';

export interface VendorSetting { level: Level; upstream?: string; shadow_level?: 1 | 2 }

export interface RuntimeOptions {
  policyPaths: string[];
  /** Per vendor: the enforced level and an upstream override (configuration + environment). */
  vendorSetting: (vendor: string) => VendorSetting;
  /** Vendors the configuration names: each must have a policy, or the set is refused. */
  configuredVendors: readonly string[];
  upstreamTimeoutMs: number;
  /** With several workers: the other workers' upstream ends, for the loop guard. */
  loopSiblings?: SiblingEnds;
}

export interface RuntimeSnapshot {
  policySet: PolicySet;
  routes: RouteTable;
  /** Vendor name -> the proxy of its upstream origin. */
  proxies: ReadonlyMap<string, UpstreamProxy>;
}

export type LoadOutcome = { ok: true; snapshot: RuntimeSnapshot } | { ok: false; errors: string[] };

/** How long an idle upstream connection is kept for the next request. */
const FREE_SOCKET_MS = 4000;

export class PolicyRuntime {
  private current: RuntimeSnapshot | undefined;
  /** The agent and the proxy per upstream origin, reused across reloads (a proxy per reload would leave a
   * listener on the server each time). The agents keep connections open between requests: HTTP/1.1 is
   * persistent without a Connection header (none is sent, see upstream-proxy.ts). A connection per request
   * cost ~90 µs of CPU per small batch and, at a few thousand batches a second, ran the machine out of
   * ephemeral ports (TIME_WAIT), which answered 502s. */
  private readonly agents = new Map<string, HttpAgent>();
  private readonly proxies = new Map<string, UpstreamProxy>();
  /** The local ends of telegate's own upstream connections, to refuse requests that come back in. */
  readonly loopGuard: LoopGuard;
  private loading: Promise<LoadOutcome> = Promise.resolve({ ok: false, errors: ['not loaded'] });

  constructor(private readonly options: RuntimeOptions) {
    this.loopGuard = new LoopGuard(options.loopSiblings);
  }

  get snapshot(): RuntimeSnapshot {
    if (!this.current) throw new Error('no policy set loaded');
    return this.current;
  }

  get loaded(): boolean {
    return this.current !== undefined;
  }

  /**
   * Loads and swaps in a new set; reloads run one at a time, in order. `beforeSwap` runs on the validated
   * set before it takes effect (the gateway makes its `policy` audit record durable there): if it
   * throws, the set is refused and the running one stays, so no request is ever judged by a policy the
   * audit log does not name.
   */
  load(beforeSwap?: (candidate: RuntimeSnapshot) => Promise<void>): Promise<LoadOutcome> {
    this.loading = this.loading.then(() => this.loadNow(beforeSwap), () => this.loadNow(beforeSwap));
    return this.loading;
  }

  /** Exchanges with vendors still open, across every upstream. */
  get activeExchanges(): number {
    let n = 0;
    for (const proxy of this.proxies.values()) n += proxy.active;
    return n;
  }

  /** Ends every open exchange (shutdown after the grace period): each gets its outcome, `shutdown`. */
  abortExchanges(): void {
    for (const proxy of this.proxies.values()) proxy.abortAll();
  }

  close(): void {
    this.abortExchanges();
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
    this.proxies.clear();
  }

  private proxyFor(upstream: URL): UpstreamProxy {
    let proxy = this.proxies.get(upstream.origin);
    if (!proxy) {
      proxy = createUpstreamProxy(upstream, this.agentFor(upstream), this.options.upstreamTimeoutMs, this.loopGuard);
      this.proxies.set(upstream.origin, proxy);
    }
    return proxy;
  }

  private async loadNow(beforeSwap?: (candidate: RuntimeSnapshot) => Promise<void>): Promise<LoadOutcome> {
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
      vendors.push({ policy, level: setting.level, upstream, ...(setting.shadow_level === undefined ? {} : { shadowLevel: setting.shadow_level }) });
    }
    if (errors.length > 0) return { ok: false, errors };
    const proxies = new Map<string, UpstreamProxy>();
    for (const vendor of vendors) proxies.set(vendor.policy.vendor, this.proxyFor(vendor.upstream));
    const candidate: RuntimeSnapshot = { policySet: loaded.value, routes: new RouteTable(vendors), proxies };
    if (beforeSwap) {
      try {
        await beforeSwap(candidate);
      } catch (error) {
        return { ok: false, errors: [`the policy set was valid but could not take effect: ${error instanceof Error ? error.message : String(error)}`] };
      }
    }
    this.current = candidate;
    return { ok: true, snapshot: candidate };
  }

  private agentFor(upstream: URL): HttpAgent {
    let agent = this.agents.get(upstream.origin);
    if (!agent) {
      // rejectUnauthorized is the default; stated because upstream TLS must be verified (SPEC §5).
      // Never give these agents maxSockets: a queued request would be ended by httpxy before
      // upstream-proxy.ts writes telegate's body into it.
      // An idle connection is closed after FREE_SOCKET_MS, below the 5 s idle limit common to vendor
      // front ends (Node, Go and many load balancers), so telegate seldom reuses one the vendor is
      // closing at that moment. When it does, the request fails as upstream-reset (502, recorded) and
      // the instance sends the batch again: nothing is lost or sent twice unrecorded.
      agent = upstream.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, timeout: FREE_SOCKET_MS, rejectUnauthorized: true })
        : new PlainAgent({ keepAlive: true, timeout: FREE_SOCKET_MS });
      this.agents.set(upstream.origin, agent);
    }
    return agent;
  }
}
