// Container registry for the Functions image. The admin user is off (anonymous pull is off by default): the app pulls as the
// managed identity (AcrPull here), azd pushes with the deploying user's Entra token.
@description('Name of the container registry (5-50 letters and digits).')
@minLength(5)
@maxLength(50)
param name string

@description('Name of the user-assigned identity that pulls images.')
param identityName string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Registry SKU (main.bicep\'s registrySku states the trade-off).')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param skuName string

var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    adminUserEnabled: false
  }
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identity.id, acrPullRoleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = registry.name
output loginServer string = registry.properties.loginServer
