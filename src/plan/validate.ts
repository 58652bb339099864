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
  const plan = loadPlan(file);
  const phases = plan.phases.map((p) => `${p.name}${p.startTimeMs !== undefined ? ' (side by side)' : ''}${p.expectReconnects ? ' (failover)' : ''}`);
  return `${file}: ok (plan ${plan.name}: ${plan.phases.length} phases: ${phases.join(', ')})\n`;
}
