/**
 * The deployment files in deploy/ are what a platform team applies as they are, so they must agree with
 * the image and with telegate's configuration: non-root and read-only, the key and the admin token from
 * the Secret, a replica id per pod, probes on the admin port the configuration really opens, and the
 * configuration file in the ConfigMap accepted by the same loader `telegate serve` runs.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as yaml from 'js-yaml';
import { loadConfig, type GatewayConfig } from '../../../src/config';

const REPO = path.resolve(__dirname, '../../..');
const K8S = path.join(REPO, 'deploy/kubernetes');
const VERSION = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

type Obj = Record<string, unknown>;
const obj = (value: unknown, what: string): Obj => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what}: not a mapping`);
  return value as Obj;
};
const list = (value: unknown, what: string): Obj[] => {
  if (!Array.isArray(value)) throw new Error(`${what}: not a list`);
  return value.map((v, i) => obj(v, `${what}[${i}]`));
};
const at = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj)[k] : undefined), value);
const load = (file: string): Obj => obj(yaml.load(readFileSync(path.join(REPO, file), 'utf8')), file);

/** The image's own environment (Dockerfile ENV of the run stage), which the pod inherits. */
function imageEnv(): Record<string, string> {
  const dockerfile = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const env: Record<string, string> = {};
  for (const line of dockerfile.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const [, name, value] of line.matchAll(/(\w+)=(\S+)/g)) if (name && value) env[name] = value;
  }
  return env;
}

const deployment = load('deploy/kubernetes/deployment.yaml');
const service = load('deploy/kubernetes/service.yaml');
const configMap = load('deploy/kubernetes/configmap.yaml');
const pvc = load('deploy/kubernetes/audit-pvc.yaml');
const pod = obj(at(deployment, 'spec', 'template', 'spec'), 'pod spec');
const [container, ...others] = list(pod['containers'], 'containers');
if (!container || others.length) throw new Error('one container expected');
const env = list(container['env'], 'env');
const envVar = (name: string): Obj | undefined => env.find((e) => e['name'] === name);
const ports = list(container['ports'], 'ports');
const portNumber = (port: unknown): unknown => ports.find((p) => p['name'] === port)?.['containerPort'] ?? port;
const mounts = list(container['volumeMounts'], 'volumeMounts');
const volumes = list(pod['volumes'], 'volumes');
const volumeAt = (mountPath: string): Obj | undefined => volumes.find((v) => v['name'] === mounts.find((m) => m['mountPath'] === mountPath)?.['name']);

/** The configuration a pod runs with: the ConfigMap's file, the image's and the pod's environment. */
async function podConfig(podName: string): Promise<GatewayConfig> {
  const dir = await mkdtemp(path.join(tmpdir(), 'telegate-deploy-'));
  try {
    const file = path.join(dir, 'telegate.yaml');
    await writeFile(file, String(at(configMap, 'data', 'telegate.yaml')));
    const podEnv: Record<string, string> = { ...imageEnv() };
    for (const e of env) {
      const name = String(e['name']);
      if (typeof e['value'] === 'string') podEnv[name] = e['value'];
      else if (at(e, 'valueFrom', 'secretKeyRef')) podEnv[name] = `secret-${name.toLowerCase()}-0123456789abcdef0123`;
      else if (at(e, 'valueFrom', 'fieldRef', 'fieldPath') === 'metadata.name') podEnv[name] = podName;
    }
    podEnv['TELEGATE_CONFIG'] = file;
    const loaded = await loadConfig({ env: podEnv, cwd: '/app' });
    if (!loaded.ok) throw new Error(`the pod's configuration is refused:\n${loaded.errors.join('\n')}`);
    return loaded.value;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('deploy/kubernetes', () => {
  test('runs at least two replicas of this version of the image', () => {
    expect(at(deployment, 'spec', 'replicas')).toBeGreaterThanOrEqual(2);
    expect(container['image']).toBe(`telegate:${VERSION}`);
  });

  test('runs as a non-root user on a read-only root file system, without privileges', () => {
    expect(at(pod, 'securityContext')).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    expect(container['securityContext']).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] },
    });
  });

  test('takes the hash key and the admin token from the Secret, never from a literal', () => {
    for (const name of ['TELEGATE_HASH_KEY', 'TELEGATE_ADMIN_TOKEN']) {
      expect(envVar(name)).toEqual({ name, valueFrom: { secretKeyRef: { name: 'telegate', key: expect.any(String) } } });
    }
    const file = yaml.load(String(at(configMap, 'data', 'telegate.yaml')));
    expect(at(file, 'admin', 'token')).toBeUndefined();
    expect(at(file, 'hash')).toBeUndefined();
  });

  test('names each pod\'s audit chain after the pod, in a folder on the shared audit volume', async () => {
    expect(envVar('TELEGATE_AUDIT_REPLICA')).toEqual({ name: 'TELEGATE_AUDIT_REPLICA', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    const config = await podConfig('telegate-7d9f8b6c5-x2k4p');
    expect(config.audit.replica).toBe('telegate-7d9f8b6c5-x2k4p');
    expect(config.audit.fsync).toBe(true);
    // telegate creates its audit folder inside the volume (it must own it to keep it 0700).
    const mount = mounts.find((m) => config.audit.dir.startsWith(`${String(m['mountPath'])}/`));
    expect(mount).toBeDefined();
    expect(volumes.find((v) => v['name'] === mount?.['name'])).toEqual({ name: mount?.['name'], persistentVolumeClaim: { claimName: at(pvc, 'metadata', 'name') } });
    expect(at(pvc, 'spec', 'accessModes')).toEqual(['ReadWriteMany']);
  });

  test('probes /readyz and /healthz on the admin port, which the configuration opens on the pod IP', async () => {
    const config = await podConfig('telegate-0');
    expect(at(container, 'readinessProbe', 'httpGet', 'path')).toBe('/readyz');
    expect(at(container, 'livenessProbe', 'httpGet', 'path')).toBe('/healthz');
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      expect(portNumber(at(container, probe, 'httpGet', 'port'))).toBe(config.admin.port);
    }
    expect(config.admin.host).toBe('0.0.0.0');
    expect(config.admin.token).toBeDefined();
  });

  test('mounts the configuration and the policies from ConfigMaps where telegate reads them', async () => {
    const config = await podConfig('telegate-0');
    expect(volumeAt(config.policies)).toMatchObject({ configMap: { name: 'telegate-policies' } });
    expect(config.policies).toBe('/etc/telegate/policies');
    const configFile = String(envVar('TELEGATE_CONFIG')?.['value']);
    expect(volumeAt(path.dirname(configFile))).toEqual({ name: expect.any(String), configMap: { name: at(configMap, 'metadata', 'name') } });
    expect(Object.keys(obj(at(configMap, 'data'), 'data'))).toEqual([path.basename(configFile)]);
  });

  test('the Service sends port 8080 to the pods\' telemetry port, and not the admin port', async () => {
    const config = await podConfig('telegate-0');
    expect(at(service, 'spec', 'selector')).toEqual(at(deployment, 'spec', 'template', 'metadata', 'labels'));
    const servicePorts = list(at(service, 'spec', 'ports'), 'service ports');
    expect(servicePorts).toEqual([{ name: 'telemetry', port: 8080, targetPort: 'telemetry' }]);
    expect(config.listen).toHaveLength(1);
    expect(portNumber('telemetry')).toBe(config.listen[0]!.port);
  });
});

describe('deploy/docker-compose.yml', () => {
  const compose = load('deploy/docker-compose.yml');
  const telegate = obj(at(compose, 'services', 'telegate'), 'services.telegate');

  test('builds this repository into the same image name, read-only, with the audit and data folders on volumes', () => {
    expect(telegate['build']).toBe('..');
    expect(telegate['image']).toBe(`telegate:${VERSION}`);
    expect(telegate['read_only']).toBe(true);
    const env = imageEnv();
    expect(telegate['volumes']).toEqual(expect.arrayContaining([
      `telegate-audit:${env['TELEGATE_AUDIT_DIR']}`, `telegate-data:${env['TELEGATE_DATA_DIR']}`,
    ]));
  });

  test('refuses to start without a hash key rather than generating one per container', () => {
    expect(at(telegate, 'environment', 'TELEGATE_HASH_KEY')).toMatch(/^\$\{TELEGATE_HASH_KEY:\?/);
  });
});
