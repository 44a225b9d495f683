import path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import type { Config } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { AzureTableStore } from './azure-table/azure-table-store.js';
import { DuckDbStore } from './duckdb/duckdb-store.js';
import type { DuckDbHandle } from './duckdb/open-duckdb.js';
import type { Store } from './store.js';

export interface StoreDeps {
  /**
   * The shared DuckDB handle (also used by the event history). When given, the store uses it and leaves
   * closing it to the caller; otherwise the store opens `config.store.duckdb` and closes it itself.
   */
  readonly duckdb?: DuckDbHandle;
  /** Entra credential for `store.azureTable.endpoint` (DefaultAzureCredential in production). */
  readonly credential?: TokenCredential;
  /** Base directory for a relative DuckDB path (default: the process working directory). */
  readonly cwd?: string;
}

/** The Store the configuration asks for: DuckDB (embedded default) or Azure Table Storage (scale-out). */
export async function createStore(
  config: Pick<Config, 'store' | 'env'>,
  deps: StoreDeps = {},
): Promise<Store> {
  const store = config.store;
  if ('duckdb' in store) {
    if (deps.duckdb) return DuckDbStore.over(deps.duckdb);
    return DuckDbStore.open(path.resolve(deps.cwd ?? process.cwd(), store.duckdb));
  }
  const { endpoint, tablePrefix } = store.azureTable;
  if (endpoint) {
    if (!deps.credential) {
      throw new ConfigError('store.azureTable.endpoint', 'an Azure credential is needed to use an endpoint');
    }
    return AzureTableStore.open({ endpoint, credential: deps.credential, tablePrefix });
  }
  const connectionString = config.env.tables.connectionString ?? config.env.storage.connectionString;
  if (!connectionString) {
    throw new ConfigError(
      'store.azureTable',
      'set store.azureTable.endpoint, or AZURE_TABLES_CONNECTION_STRING (or AZURE_STORAGE_CONNECTION_STRING) in the environment',
    );
  }
  return AzureTableStore.open({ connectionString, tablePrefix });
}
