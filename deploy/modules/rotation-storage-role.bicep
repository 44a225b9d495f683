// Storage Account Key Operator Service Role on one target account: listKeys and regenerateKey, nothing else.
param storageAccountName string
param principalId string

var storageAccountKeyOperator = '81a9662b-bebf-436f-a333-f67b29880f12'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

// listKeys (verify the new key) and regenerateKey (the alternate key only); no other right on the account.
resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: account
  name: guid(account.id, principalId, storageAccountKeyOperator)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageAccountKeyOperator)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
