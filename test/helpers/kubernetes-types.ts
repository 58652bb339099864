/**
 * The Kubernetes API objects deploy/kubernetes/ uses, from the kubernetes-types package (its major and
 * minor version are the Kubernetes API version: 1.30), keyed `apiVersion/kind`. test/kubernetes.test.ts
 * turns this interface into a JSON Schema (ts-json-schema-generator, unknown fields refused) and
 * validates every manifest against it with ajv. Add a line here for a new kind of object.
 */
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { ConfigMap, Service } from 'kubernetes-types/core/v1.js';

export interface KubernetesObjects {
  'apps/v1/Deployment': Deployment;
  'batch/v1/Job': Job;
  'v1/ConfigMap': ConfigMap;
  'v1/Service': Service;
}
