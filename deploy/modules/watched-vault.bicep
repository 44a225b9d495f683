// One watched vault: AuditEvent logs to storage (blob forwarder) and Log Analytics (queries, resource-specific
// AZKVAuditLogs table), and the vault's Event Grid system topic (expiry, access-policy changes). The topic gets
// a system-assigned identity so it can deliver to the Service Bus namespace, which has SAS auth disabled;
// main.bicep grants that identity Data Sender on the Event Grid queue, then adds the subscription.
// Note: a vault has at most one system topic. If it already has one, pass its name here instead.
param vaultName string
param storageAccountId string
param workspaceId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

// The storage account must be in the vault's region (diagnostic settings rule); the workspace may be anywhere.
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: vault
  name: 'kv-warden'
  properties: {
    storageAccountId: storageAccountId
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      { category: 'AuditEvent', enabled: true }
    ]
  }
}

// System topics live in the source resource's region.
resource topic 'Microsoft.EventGrid/systemTopics@2023-12-15-preview' = {
  name: '${vaultName}-kvwarden'
  location: vault.location
  identity: { type: 'SystemAssigned' }
  properties: {
    source: vault.id
    topicType: 'Microsoft.KeyVault.vaults'
  }
}

output systemTopicName string = topic.name
output topicPrincipalId string = topic.identity.principalId
