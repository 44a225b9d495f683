import type { Config } from '../config/load.js';

/** Endpoints of one Azure cloud. ARM, Key Vault, Log Analytics and Entra differ per sovereign cloud. */
export interface CloudEndpoints {
  readonly resourceManager: string;
  /** DNS suffix of vaults, e.g. `vault.azure.net` (so `https://<vault>.vault.azure.net`). */
  readonly keyVaultDnsSuffix: string;
  /** Log Analytics query API base including `/v1`. */
  readonly logAnalytics: string;
  readonly authorityHost: string;
  readonly serviceBusDnsSuffix: string;
  readonly portal: string;
}

const CLOUDS: Record<Config['azure']['cloud'], CloudEndpoints> = {
  AzurePublic: {
    resourceManager: 'https://management.azure.com',
    keyVaultDnsSuffix: 'vault.azure.net',
    logAnalytics: 'https://api.loganalytics.io/v1',
    authorityHost: 'https://login.microsoftonline.com',
    serviceBusDnsSuffix: 'servicebus.windows.net',
    portal: 'https://portal.azure.com',
  },
  AzureChina: {
    resourceManager: 'https://management.chinacloudapi.cn',
    keyVaultDnsSuffix: 'vault.azure.cn',
    logAnalytics: 'https://api.loganalytics.azure.cn/v1',
    authorityHost: 'https://login.chinacloudapi.cn',
    serviceBusDnsSuffix: 'servicebus.chinacloudapi.cn',
    portal: 'https://portal.azure.cn',
  },
  AzureUSGovernment: {
    resourceManager: 'https://management.usgovcloudapi.net',
    keyVaultDnsSuffix: 'vault.usgovcloudapi.net',
    logAnalytics: 'https://api.loganalytics.us/v1',
    authorityHost: 'https://login.microsoftonline.us',
    serviceBusDnsSuffix: 'servicebus.usgovcloudapi.net',
    portal: 'https://portal.azure.us',
  },
};

/** The endpoints for `azure.cloud`, with any explicit `azure.endpoints` overrides applied. */
export function cloudEndpoints(azure: Config['azure']): CloudEndpoints {
  const base = CLOUDS[azure.cloud];
  const o = azure.endpoints ?? {};
  return {
    ...base,
    ...(o.resourceManager ? { resourceManager: o.resourceManager.replace(/\/$/, '') } : {}),
    ...(o.keyVaultDnsSuffix ? { keyVaultDnsSuffix: o.keyVaultDnsSuffix } : {}),
    ...(o.logAnalytics ? { logAnalytics: o.logAnalytics.replace(/\/$/, '') } : {}),
    ...(o.authorityHost ? { authorityHost: o.authorityHost.replace(/\/$/, '') } : {}),
  };
}

/** `https://<vault>.<suffix>` for a vault name. */
export function vaultUrl(endpoints: CloudEndpoints, vault: string): string {
  return `https://${vault.toLowerCase()}.${endpoints.keyVaultDnsSuffix}`;
}
