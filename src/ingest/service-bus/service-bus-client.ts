import type { TokenCredential } from '@azure/identity';
import { ServiceBusClient } from '@azure/service-bus';
import { cloudEndpoints } from '../../azure/cloud-endpoints.js';
import { defaultCredential } from '../../azure/credential.js';
import type { Config } from '../../config/load.js';
import { ConfigError } from '../../errors.js';

/** How to reach the namespace: a connection string (SERVICEBUS_CONNECTION_STRING) or a namespace + credential. */
export interface ServiceBusConnection {
  readonly connectionString?: string;
  /** `contoso.servicebus.windows.net` (config `sources.serviceBus.namespace` or SERVICEBUS_NAMESPACE). */
  readonly namespace?: string;
  /** Used with `namespace`; DefaultAzureCredential (managed identity in Azure) when not injected. */
  readonly credential?: TokenCredential;
  /** Connect here instead of the namespace host (private endpoint, gateway): `sb://host:port`. */
  readonly endpoint?: string;
  /** The configured cloud, for the credential's authority (default: public Azure). */
  readonly azure?: Config['azure'];
}

/** Picks the connection settings from config: the connection string wins, else the namespace. */
export function serviceBusConnectionFrom(config: Config, credential?: TokenCredential): ServiceBusConnection {
  const connectionString = config.env.serviceBus.connectionString;
  const namespace = config.sources.serviceBus?.namespace ?? config.env.serviceBus.namespace;
  return { connectionString, namespace, credential, azure: config.azure };
}

/** Builds the SDK client. Throws ConfigError when neither a connection string nor a namespace is set. */
export async function createServiceBusClient(conn: ServiceBusConnection): Promise<ServiceBusClient> {
  if (conn.connectionString) return new ServiceBusClient(conn.connectionString);
  if (conn.namespace) {
    const credential =
      conn.credential ?? (await defaultCredential(cloudEndpoints(conn.azure ?? { cloud: 'AzurePublic' })));
    return new ServiceBusClient(
      conn.namespace,
      credential,
      conn.endpoint ? { customEndpointAddress: conn.endpoint } : {},
    );
  }
  throw new ConfigError(
    'sources.serviceBus.namespace',
    'set SERVICEBUS_CONNECTION_STRING, or a namespace (config or SERVICEBUS_NAMESPACE) for DefaultAzureCredential',
  );
}
