// kv-warden in Azure: one App Service (Linux, Node 22 LTS) running `kv-warden serve` with a user-assigned
// managed identity, Service Bus for intake, a storage account for diagnostic logs and shared state,
// a Log Analytics workspace, diagnostic settings + Event Grid on every watched vault, the Azure Bot for
// Teams, and role assignments at least privilege. Plain and conventional: it is not compiled in CI here,
// test/deploy/bicep-crosscheck.test.ts checks it against the code instead.
targetScope = 'resourceGroup'

@description('Short prefix for resource names (lower case letters and digits).')
@minLength(3)
@maxLength(12)
param namePrefix string

param location string = resourceGroup().location

@description('ARM resource ids of the Key Vaults to watch.')
param vaultResourceIds array

@description('ARM resource ids of vaults holding rotatable storage-key secrets (subset of vaultResourceIds).')
param rotationVaultResourceIds array = []

@description('ARM resource ids of storage accounts whose keys kv-warden may rotate.')
param rotationStorageAccountIds array = []

@description('Entra application (client) id of the bot registration (Teams); empty for Slack only (no Azure Bot).')
param botAppId string = ''

@description('Tenant of the bot registration (single-tenant bots).')
param botTenantId string = subscription().tenantId

@description('Key Vault secret URIs (Key Vault references) for chat secrets; empty to skip a surface.')
param botClientSecretUri string = ''
param slackBotTokenUri string = ''
param slackSigningSecretUri string = ''

@description('ARM resource id of the vault holding the chat secrets above (App Service resolves the references with the managed identity); empty when no reference is used.')
param appSecretsVaultId string = ''

@description('Public https URL of the bot when a custom domain fronts it; default https://<app>.azurewebsites.net.')
param publicUrl string = ''

@description('Create a workspace-based Application Insights component and export kv-warden request traces and metrics to it (OpenTelemetry).')
param applicationInsights bool = false

var suffix = uniqueString(resourceGroup().id, namePrefix)
var appName = '${namePrefix}-app-${suffix}'
// Known before the site exists, so the site's own settings can carry it (no self-reference).
var effectivePublicUrl = empty(publicUrl) ? 'https://${appName}.azurewebsites.net' : publicUrl
var auditQueueName = 'kv-audit'
var eventGridQueueName = 'kv-eventgrid'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-id'
  location: location
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-law-${suffix}'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 90
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take('${namePrefix}st${suffix}', 24)
  location: location
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false // kv-warden uses its managed identity; no account keys in settings
    supportsHttpsTrafficOnly: true
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: '${namePrefix}-sb-${suffix}'
  location: location
  sku: { name: 'Standard', tier: 'Standard' }
  properties: {
    minimumTlsVersion: '1.2'
    disableLocalAuth: true // managed identity only
  }
}

// Audit records: sessions (SessionId = vault) keep each vault's events in order on one replica;
// duplicate detection drops forwarder re-sends (MessageId = content hash).
resource auditQueue 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = {
  parent: serviceBus
  name: auditQueueName
  properties: {
    requiresSession: true
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT1H'
    deadLetteringOnMessageExpiration: true
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
    defaultMessageTimeToLive: 'P7D'
  }
}

// Event Grid cannot deliver to a session-enabled queue, so Key Vault events get their own plain queue.
resource eventGridQueue 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = {
  parent: serviceBus
  name: eventGridQueueName
  properties: {
    requiresSession: false
    deadLetteringOnMessageExpiration: true
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
    defaultMessageTimeToLive: 'P7D'
  }
}

// Request traces and kv-warden's metrics (OpenTelemetry export), stored in the same workspace. kv-warden sends
// with the connection string's instrumentation key, so this needs no role assignment.
resource appInsights 'Microsoft.Insights/components@2020-02-02' = if (applicationInsights) {
  name: '${namePrefix}-appi-${suffix}'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
  }
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${namePrefix}-plan'
  location: location
  kind: 'linux'
  sku: { name: 'P0v3' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2023-12-01' = {
  name: appName
  location: location
  kind: 'app,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      linuxFxVersion: 'NODE|22-lts'
      // serve, plus the blob → Service Bus forwarder in the background (see deploy/start.sh).
      appCommandLine: 'sh deploy/start.sh'
      alwaysOn: true
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      healthCheckPath: '/healthz'
      appSettings: [
        { name: 'PORT', value: '8080' }
        { name: 'WEBSITES_PORT', value: '8080' }
        { name: 'KV_WARDEN_CONFIG', value: 'deploy/kv-warden.azure.yaml' }
        // DefaultAzureCredential picks the user-assigned identity by client id.
        { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
        { name: 'SERVICEBUS_NAMESPACE', value: '${serviceBus.name}.servicebus.windows.net' }
        { name: 'KV_WARDEN_BLOB_ACCOUNT_URL', value: storage.properties.primaryEndpoints.blob }
        { name: 'KV_WARDEN_TABLE_ENDPOINT', value: storage.properties.primaryEndpoints.table }
        { name: 'KV_WARDEN_WORKSPACE_ID', value: workspace.properties.customerId }
        { name: 'KV_WARDEN_WORKSPACE_RESOURCE_ID', value: workspace.id }
        { name: 'KV_WARDEN_PUBLIC_URL', value: effectivePublicUrl }
        // Empty turns the telemetry export off (the default when applicationInsights is false).
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsights ? appInsights.properties.ConnectionString : '' }
        // Zip deploy of the repository: Oryx runs `npm install` (tsx loads the TypeScript sources at start).
        { name: 'SCM_DO_BUILD_DURING_DEPLOYMENT', value: 'true' }
        { name: 'CLIENT_ID', value: botAppId }
        { name: 'TENANT_ID', value: botTenantId }
        { name: 'CLIENT_SECRET', value: empty(botClientSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${botClientSecretUri})' }
        { name: 'SLACK_BOT_TOKEN', value: empty(slackBotTokenUri) ? '' : '@Microsoft.KeyVault(SecretUri=${slackBotTokenUri})' }
        { name: 'SLACK_SIGNING_SECRET', value: empty(slackSigningSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${slackSigningSecretUri})' }
      ]
    }
  }
}

// kv-warden's own JSON logs (stdout, secrets redacted) and the HTTP/platform logs, queryable next to the audit data.
resource appLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: app
  name: 'kv-warden-app-logs'
  properties: {
    workspaceId: workspace.id
    logs: [
      { category: 'AppServiceConsoleLogs', enabled: true }
      { category: 'AppServiceHTTPLogs', enabled: true }
      { category: 'AppServicePlatformLogs', enabled: true }
    ]
  }
}

// The Azure Bot and its Teams channel exist only when a bot app id is given (Teams in use).
resource bot 'Microsoft.BotService/botServices@2022-09-15' = if (!empty(botAppId)) {
  name: '${namePrefix}-bot-${suffix}'
  location: 'global'
  kind: 'azurebot'
  sku: { name: 'S1' }
  properties: {
    displayName: 'kv-warden'
    endpoint: '${effectivePublicUrl}/api/messages'
    msaAppId: botAppId
    msaAppTenantId: botTenantId
    msaAppType: 'SingleTenant'
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = if (!empty(botAppId)) {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: { isEnabled: true }
  }
}

// ---- Role assignments on resources in this group -------------------------------------------------------

var roles = {
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  logAnalyticsReader: '73c42c96-874c-492b-b04d-ab87d138a893'
}

// Receiver: the listener consumes the audit and Event Grid queues (peek-lock, complete, dead-letter).
resource sbReceive 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: serviceBus
  name: guid(serviceBus.id, identity.id, roles.serviceBusDataReceiver)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Sender: the blob forwarder sends audit batches; replay-dlq re-sends dead letters; doctor probes the
// session queue by opening a send link. Namespace scope = exactly the two queues it holds.
resource sbSend 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: serviceBus
  name: guid(serviceBus.id, identity.id, roles.serviceBusDataSender)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Blob reader: the forwarder lists and reads insights-logs-auditevent; it never writes logs.
resource blobRead 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageBlobDataReader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Table contributor: alerts, card locations, checkpoints and rotations live in Table Storage (ETag CAS).
resource tableWrite 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Log Analytics Reader: the canned /kv queries read AzureDiagnostics / AZKVAuditLogs; nothing is written.
resource lawRead 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: workspace
  name: guid(workspace.id, identity.id, roles.logAnalyticsReader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.logAnalyticsReader)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---- Per watched vault: diagnostic setting + Event Grid (vaults may live in other groups/subscriptions) ----

module watched 'modules/watched-vault.bicep' = [for (vaultId, i) in vaultResourceIds: {
  name: 'watch-${i}'
  scope: resourceGroup(split(vaultId, '/')[2], split(vaultId, '/')[4])
  params: {
    vaultName: last(split(vaultId, '/'))
    storageAccountId: storage.id
    workspaceId: workspace.id
  }
}]

// Data Sender for each vault's Event Grid system topic, on the Event Grid queue ONLY: the topic delivers with
// its own managed identity because the namespace has local (SAS) auth disabled. Not kv-warden's identity.
resource eventGridSend 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (vaultId, i) in vaultResourceIds: {
  scope: eventGridQueue
  name: guid(eventGridQueue.id, vaultId, roles.serviceBusDataSender)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: watched[i].outputs.topicPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

// The subscription is created after its topic may send, so the first delivery does not fail.
module vaultEvents 'modules/vault-event-subscription.bicep' = [for (vaultId, i) in vaultResourceIds: {
  name: 'vault-events-${i}'
  scope: resourceGroup(split(vaultId, '/')[2], split(vaultId, '/')[4])
  params: {
    systemTopicName: watched[i].outputs.systemTopicName
    eventGridQueueId: eventGridQueue.id
  }
  dependsOn: [eventGridSend]
}]

// Key Vault Secrets Officer ONLY on vaults with rotatable secrets: read tags, write the new version.
module rotationVaults 'modules/rotation-vault-role.bicep' = [for (vaultId, i) in rotationVaultResourceIds: {
  name: 'rotation-vault-${i}'
  scope: resourceGroup(split(vaultId, '/')[2], split(vaultId, '/')[4])
  params: {
    vaultName: last(split(vaultId, '/'))
    principalId: identity.properties.principalId
  }
}]

// Storage Account Key Operator Service Role ONLY on target accounts: listKeys + regenerateKey.
module rotationAccounts 'modules/rotation-storage-role.bicep' = [for (accountId, i) in rotationStorageAccountIds: {
  name: 'rotation-account-${i}'
  scope: resourceGroup(split(accountId, '/')[2], split(accountId, '/')[4])
  params: {
    storageAccountName: last(split(accountId, '/'))
    principalId: identity.properties.principalId
  }
}]

// Key Vault Secrets User on the vault holding the chat secrets ONLY: App Service resolves the
// @Microsoft.KeyVault(...) references in the app settings with this identity (read, never write).
module appSecretsRead 'modules/app-secrets-role.bicep' = if (!empty(appSecretsVaultId)) {
  name: 'app-secrets-read'
  scope: resourceGroup(split(appSecretsVaultId, '/')[2], split(appSecretsVaultId, '/')[4])
  params: {
    vaultName: last(split(appSecretsVaultId, '/'))
    principalId: identity.properties.principalId
  }
}

output appUrl string = 'https://${app.properties.defaultHostName}'
output publicUrl string = effectivePublicUrl
output botMessagingEndpoint string = '${effectivePublicUrl}/api/messages'
output slackRequestUrl string = '${effectivePublicUrl}/slack/events'
output managedIdentityClientId string = identity.properties.clientId
output serviceBusNamespace string = '${serviceBus.name}.servicebus.windows.net'
output logStorageAccount string = storage.name
output workspaceCustomerId string = workspace.properties.customerId
