/** The words the policy report uses in every format, so Markdown and HTML say the same thing. */
import type { Action } from '../policy/types';
import type { InventoryCategory } from '../policy/inventory';

export const ACTION_WORDS: Record<Action, string> = { allow: 'sent', hash: 'pseudonymized', drop: 'dropped' };

/** Most sensitive first: a reader scanning a table meets secrets and personal data before usage counts. */
export const CATEGORY_ORDER: readonly InventoryCategory[] = ['secret', 'personal', 'identifier', 'technical', 'usage', 'unclassified'];

export const DEFAULT_DENY_SENTENCE = 'Fields no rule names are removed before anything leaves (default deny) and reported as unknown in the audit log.';

export const LEVEL_SENTENCES: readonly string[] = [
  'Level 0: nothing leaves; telegate answers the instance itself.',
  'Level 1 (anonymous): only what is marked sent or pseudonymized at level 1 leaves; pseudonyms are keyed HMAC-SHA-256, format-preserving, joinable only with the same key.',
  'Level 2 (vendor default): what the vendor documents, still limited to the fields named here.',
];
