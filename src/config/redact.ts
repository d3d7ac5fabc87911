/**
 * The configuration as it may be logged or shown: the admin token replaced by a marker saying whether
 * one is set. (The hash key is never in the configuration at all.)
 */
import type { GatewayConfig } from './types';

export const REDACTED = '[redacted]';

export function redactedConfig(config: GatewayConfig): GatewayConfig {
  const admin = { ...config.admin };
  if (admin.token !== undefined) admin.token = REDACTED;
  return { ...config, admin };
}
