/**
 * Which vendor endpoint a request is for (SPEC §5), first match wins:
 *   1. the Host header names one of a vendor's `hosts` (DNS interception);
 *   2. the path starts with `/<vendor>/`, the rest being the endpoint;
 *   3. the path is an endpoint exactly one vendor declares (Coder's client drops any path prefix of
 *      its configured URL, so `/snapshot` arrives bare).
 * Built once per policy set, with every route it can answer: a lookup is a few map reads and hands out
 * the same Route object for every request to one endpoint (its target URL is not rebuilt per request).
 */
import type { Endpoint, Level, Policy } from '../policy';

export interface VendorRoute {
  policy: Policy;
  level: Level;
  /** The upstream base URL actually contacted: configuration override, else the policy's. */
  upstream: URL;
  /** `vendors.<v>.shadow_level`: the level whose differences each egress record notes. */
  shadowLevel?: 1 | 2;
}

export interface Route {
  vendor: VendorRoute;
  endpoint: Endpoint;
  /** upstream base + endpoint path: the only URL this route may ever contact. */
  target: URL;
}

export type RouteResult =
  | { kind: 'route'; route: Route }
  | { kind: 'not-found'; detail: string }
  | { kind: 'method-not-allowed'; allow: string; detail: string };

export class RouteTable {
  private readonly byHost = new Map<string, VendorRoute>();
  private readonly byName = new Map<string, VendorRoute>();
  /** Endpoint path -> the vendors declaring it; only unambiguous ones route. */
  private readonly byEndpoint = new Map<string, VendorRoute[]>();
  /** Every vendor endpoint's route result, made once. */
  private readonly routes = new Map<Endpoint, RouteResult>();

  constructor(vendors: readonly VendorRoute[]) {
    for (const vendor of vendors) {
      this.byName.set(vendor.policy.vendor, vendor);
      for (const host of vendor.policy.hosts) this.byHost.set(host.toLowerCase(), vendor);
      for (const [path, endpoint] of vendor.policy.endpoints) {
        const list = this.byEndpoint.get(path) ?? [];
        list.push(vendor);
        this.byEndpoint.set(path, list);
        const route: Route = Object.freeze({ vendor, endpoint, target: joinUpstream(vendor.upstream, endpoint.path) });
        this.routes.set(endpoint, Object.freeze({ kind: 'route', route }));
      }
    }
  }

  get vendors(): IterableIterator<VendorRoute> {
    return this.byName.values();
  }

  resolve(hostHeader: string | undefined, path: string, method: string): RouteResult {
    const host = hostHeader === undefined ? undefined : hostName(hostHeader);
    const byHost = host === undefined ? undefined : this.byHost.get(host);
    if (byHost) return this.endpointOf(byHost, stripVendorPrefix(byHost, path), method);

    const slash = path.indexOf('/', 1);
    if (slash > 1) {
      const prefixed = this.byName.get(path.slice(1, slash));
      if (prefixed) return this.endpointOf(prefixed, path.slice(slash), method);
    }

    const declaring = this.byEndpoint.get(path);
    if (declaring?.length === 1) return this.endpointOf(declaring[0]!, path, method);
    if (declaring && declaring.length > 1) {
      return { kind: 'not-found', detail: `${path} is declared by several vendors (${declaring.map((v) => v.policy.vendor).join(', ')}): use /<vendor>${path}` };
    }
    return { kind: 'not-found', detail: 'no vendor endpoint at this path' };
  }

  private endpointOf(vendor: VendorRoute, path: string, method: string): RouteResult {
    const endpoint = vendor.policy.endpoints.get(path);
    if (!endpoint) return { kind: 'not-found', detail: `vendor ${vendor.policy.vendor} has no endpoint at this path` };
    if (endpoint.method !== method) {
      return { kind: 'method-not-allowed', allow: endpoint.method, detail: `${vendor.policy.vendor} ${endpoint.path} accepts ${endpoint.method} only` };
    }
    return this.routes.get(endpoint)!;
  }
}

function stripVendorPrefix(vendor: VendorRoute, path: string): string {
  const prefix = `/${vendor.policy.vendor}/`;
  return path.startsWith(prefix) && !vendor.policy.endpoints.has(path) ? path.slice(prefix.length - 1) : path;
}

/** `telemetry.coder.com:443` -> `telemetry.coder.com`; `[::1]:8080` -> `::1`; trailing dot ignored. */
export function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  const name = value.startsWith('[') ? value.slice(1).split(']')[0]! : value.replace(/:\d*$/, '');
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

export function joinUpstream(base: URL, endpointPath: string): URL {
  const target = new URL(base.href);
  target.pathname = `${base.pathname.replace(/\/+$/, '')}${endpointPath}`;
  target.search = '';
  target.hash = '';
  return target;
}
