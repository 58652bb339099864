/**
 * deploy/kubernetes/, checked offline: every manifest against the JSON Schema of the Kubernetes 1.30
 * API (derived from the kubernetes-types package, whose version is the API's, by
 * ts-json-schema-generator with unknown fields refused, so a misspelt key fails as the API server's
 * strict field validation would), validated with ajv; then what makes it one distributed run: an
 * Indexed Job of shards whose count mcpload is told, a headless Service naming them for the watch
 * Job, Prometheus scrape annotations on the metrics port, one start from a ConfigMap, non-root pods.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type Doc } from './helpers/deploy.js';

const Ajv = AjvModule.default;
const DIR = join(ROOT, 'deploy/kubernetes');
const KUBERNETES_TYPES_VERSION = createRequire(import.meta.url)('kubernetes-types/package.json').version as string;
const METRICS_PORT = 9464;

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
const objects: { file: string; doc: Doc }[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    return { file, doc: d.toJS() };
  }),
);
const find = (kind: string, name: string): Doc => {
  const o = objects.find((x) => x.doc.kind === kind && x.doc.metadata?.name === name);
  if (!o) throw new Error(`no ${kind} ${name} in deploy/kubernetes/`);
  return o.doc;
};
const env = (container: Doc, name: string): Doc => container.env?.find((e: Doc) => e.name === name);
const podSpecs = () =>
  objects.filter((o) => o.doc.spec?.template?.spec).map((o) => ({ where: `${o.file} ${o.doc.kind}/${o.doc.metadata.name}`, spec: o.doc.spec.template.spec }));

let validate: (doc: Doc) => string[];

beforeAll(() => {
  const schema = createGenerator({
    path: join(ROOT, 'test/helpers/kubernetes-types.ts'),
    type: 'KubernetesObjects',
    tsconfig: join(ROOT, 'tsconfig.eslint.json'),
    skipTypeCheck: true,
  }).createSchema('KubernetesObjects');
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addSchema(schema, 'k8s');
  const byKey = (schema.definitions!.KubernetesObjects as Doc).properties as Record<string, Doc>;
  // An import the generator could not resolve comes out as {} (anything goes): never let that pass.
  for (const [key, ref] of Object.entries(byKey)) {
    const name = String(ref.$ref ?? '').replace('#/definitions/', '');
    if (!(schema.definitions![name] as Doc)?.properties) throw new Error(`${key}: kubernetes-types gave no schema (is kubernetes-types installed? npm ci)`);
  }
  validate = (doc) => {
    const key = `${doc.apiVersion}/${doc.kind}`;
    if (!byKey[key]) return [`${key}: not a kind the schema knows (add it to test/helpers/kubernetes-types.ts)`];
    const check = ajv.getSchema(`k8s#/definitions/KubernetesObjects/properties/${key.replace(/\//g, '~1')}`)!;
    return check(doc)
      ? []
      : (check.errors ?? []).map(
          (e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? `: ${e.params.additionalProperty}` : ''}`,
        );
  };
}, 120_000);

describe(`deploy/kubernetes against the Kubernetes ${KUBERNETES_TYPES_VERSION.replace(/\.\d+$/, '')} API schema (kubernetes-types ${KUBERNETES_TYPES_VERSION})`, () => {
  it('the schema is of the stated version and refuses what the API would', () => {
    expect(KUBERNETES_TYPES_VERSION).toMatch(/^1\.30\./);
    const job = structuredClone(find('Job', 'mcpload-shards'));
    expect(validate(job)).toEqual([]);
    job.spec.completionMod = 'Indexed';
    expect(validate(job).join('\n'), 'a misspelt key').toMatch(/completionMod/);
    const typed = structuredClone(find('Job', 'mcpload-shards'));
    typed.spec.completions = '4';
    expect(validate(typed).length, 'a string for a number').toBeGreaterThan(0);
    const kind = structuredClone(find('Job', 'mcpload-shards'));
    kind.apiVersion = 'batch/v1beta1';
    expect(validate(kind).length, 'an API version this Kubernetes does not serve for Jobs').toBeGreaterThan(0);
  });

  it('every manifest validates', () => {
    expect(files.sort()).toEqual(['shards.yaml', 'target.yaml', 'watch.yaml']);
    for (const { file, doc } of objects) expect(validate(doc), `${file} ${doc.kind}/${doc.metadata?.name}`).toEqual([]);
  });
});

describe('deploy/kubernetes: one distributed run', () => {
  const shards = find('Job', 'mcpload-shards');
  const service = find('Service', 'mcpload-shards');
  const watch = find('Job', 'mcpload-watch');
  const shard = shards.spec.template.spec.containers[0];
  const watcher = watch.spec.template.spec.containers[0];

  it('the load is an Indexed Job: every shard at once, never rerun, mcpload told the count', () => {
    expect(shards.spec.completionMode).toBe('Indexed');
    expect(shards.spec.parallelism).toBe(shards.spec.completions);
    // mcpload reads JOB_COMPLETION_INDEX (set by Kubernetes) only beside MCPLOAD_SHARDS.
    expect(Number(env(shard, 'MCPLOAD_SHARDS').value)).toBe(shards.spec.completions);
    expect(env(shard, 'MCPLOAD_SHARD'), 'the index comes from JOB_COMPLETION_INDEX').toBeUndefined();
    expect(shards.spec.backoffLimit).toBe(0);
    expect(shards.spec.template.spec.restartPolicy).toBe('Never');
    // One start for every shard, set by whoever deploys.
    expect(env(shard, 'MCPLOAD_START_AT').valueFrom.configMapKeyRef).toEqual({ name: 'mcpload-run', key: 'MCPLOAD_START_AT' });
    expect(env(shard, 'MCPLOAD_DURATION').value).not.toBe('0');
    // Drain (5 s) and linger fit in the grace period.
    const linger = Number(/^(\d+)s$/.exec(env(shard, 'MCPLOAD_LINGER').value)![1]);
    expect(shards.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(linger + 5);
  });

  it('a headless Service names every shard pod, ready or not, on the metrics port', () => {
    expect(service.spec.clusterIP).toBe('None');
    expect(service.spec.publishNotReadyAddresses).toBe(true);
    expect(shards.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(watch.spec.template.metadata.labels).not.toMatchObject(service.spec.selector);
    const port = service.spec.ports[0];
    expect(port.port).toBe(METRICS_PORT);
    expect(shard.ports.find((p: Doc) => p.name === port.targetPort)?.containerPort).toBe(METRICS_PORT);
    expect(Number(env(shard, 'MCPLOAD_METRICS_PORT').value)).toBe(METRICS_PORT);
    expect(env(shard, 'MCPLOAD_METRICS_HOST').value).toBe('0.0.0.0');
  });

  it('the watch Job asks DNS for that Service by its full name and gives the verdict once', () => {
    const args: string[] = watcher.args;
    expect(args[0]).toBe('watch');
    const dns = args[args.indexOf('--dns') + 1];
    expect(dns).toBe(`${service.metadata.name}.$(POD_NAMESPACE).svc.cluster.local:${METRICS_PORT}`);
    // $(POD_NAMESPACE) is expanded by Kubernetes from an env var declared in the container.
    expect(env(watcher, 'POD_NAMESPACE').valueFrom.fieldRef.fieldPath).toBe('metadata.namespace');
    expect(watch.spec.backoffLimit).toBe(0);
    expect(watch.spec.template.spec.restartPolicy).toBe('Never');
    expect(args).toContain('--threshold');
    const report = args[args.indexOf('--report') + 1];
    expect(watcher.volumeMounts.some((m: Doc) => report.startsWith(`${m.mountPath}/`))).toBe(true);
  });

  it('Prometheus scrape annotations on the shard pods point at /metrics on the metrics port', () => {
    const a = shards.spec.template.metadata.annotations;
    expect(a['prometheus.io/scrape']).toBe('true');
    expect(Number(a['prometheus.io/port'])).toBe(METRICS_PORT);
    expect(a['prometheus.io/path']).toBe('/metrics');
  });

  it('the shards drive the target Service; every pod runs as the image user (uid 1000), not root', () => {
    const url = new URL(env(shard, 'MCPLOAD_URL').value);
    const target = find('Service', url.hostname);
    expect(target.spec.ports.map((p: Doc) => p.port)).toContain(Number(url.port));
    const dep = find('Deployment', url.hostname);
    expect(dep.spec.template.metadata.labels).toMatchObject(target.spec.selector);
    for (const { where, spec } of podSpecs()) {
      expect(spec.securityContext.runAsNonRoot, where).toBe(true);
      expect(spec.securityContext.runAsUser, where).toBe(1000);
      for (const c of spec.containers) {
        expect(c.image, where).toMatch(/^mcpload:\d+\.\d+\.\d+$/);
        expect(c.securityContext.allowPrivilegeEscalation, where).toBe(false);
        expect(c.resources.limits.cpu && c.resources.limits.memory, where).toBeTruthy();
      }
    }
  });
});
