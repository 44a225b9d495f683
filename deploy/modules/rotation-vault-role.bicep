// Key Vault Secrets Officer on one vault that holds rotatable storage-key secrets: kv-warden reads the secret's
// tags and version and writes a new version. Assigned per vault, never subscription-wide.
param vaultName string
param principalId string

var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

// Officer, not User: rotation writes a new secret version (setSecret) besides reading versions and tags.
resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, principalId, keyVaultSecretsOfficer)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
