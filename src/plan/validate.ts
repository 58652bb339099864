/** `mcpload validate FILE` for plans: a file with `phases` is a plan, checked as `mcpload plan` would. */
import { extname } from 'node:path';
import { loadPlan, looksLikePlan, readDocument } from './file.js';

/** The summary line for a plan file; undefined when the file is not a plan (then it is a profile). */
export function validatePlanFile(file: string): string | undefined {
  if (!/^\.(ya?ml|json)$/i.test(extname(file))) return undefined;
  let doc: unknown;
  try {
    doc = readDocument(file);
  } catch {
    return undefined; // the profile loader says what is wrong with it
  }
  if (!looksLikePlan(doc)) return undefined;
  // The file is checked, not this machine: a full-size phase that needs more processes than the default is still a valid plan.
  const plan = loadPlan(file, { processes: 64, localAddress: ['127.0.0.2-127.0.0.17'] });
  const phases = plan.phases.map((p) => `${p.name}${p.startTimeMs !== undefined ? ' (side by side)' : ''}${p.expectReconnects ? ' (failover)' : ''}`);
  return `${file}: ok (plan ${plan.name}: ${plan.phases.length} phases: ${phases.join(', ')})\n`;
}
