// One watched vault: AuditEvent logs to storage (blob forwarder) and Log Analytics (queries, resource-specific
// AZKVAuditLogs table), and Key Vault Event Grid events (expiry, access-policy changes) to the plain queue.
param vaultName string
param storageAccountId string
param workspaceId string
param eventGridQueueId string
param location string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

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

resource topic 'Microsoft.EventGrid/systemTopics@2023-12-15-preview' = {
  name: '${vaultName}-kvwarden'
  location: location
  properties: {
    source: vault.id
    topicType: 'Microsoft.KeyVault.vaults'
  }
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2023-12-15-preview' = {
  parent: topic
  name: 'kv-warden'
  properties: {
    destination: {
      endpointType: 'ServiceBusQueue'
      properties: { resourceId: eventGridQueueId }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.KeyVault.SecretNearExpiry'
        'Microsoft.KeyVault.SecretExpired'
        'Microsoft.KeyVault.KeyNearExpiry'
        'Microsoft.KeyVault.KeyExpired'
        'Microsoft.KeyVault.CertificateNearExpiry'
        'Microsoft.KeyVault.CertificateExpired'
        'Microsoft.KeyVault.VaultAccessPolicyChanged'
      ]
    }
  }
}
