import type { TokenCredential } from '@azure/core-auth';
import type { CloudEndpoints } from './cloud-endpoints.js';

/**
 * The production credential: DefaultAzureCredential (managed identity in Azure, developer logins locally)
 * against the configured cloud's authority. Loaded lazily so embedded mode never touches @azure/identity.
 */
export async function defaultCredential(endpoints: CloudEndpoints): Promise<TokenCredential> {
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new DefaultAzureCredential({ authorityHost: endpoints.authorityHost });
}
