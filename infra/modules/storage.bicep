// The data account: AzureWebJobsStorage for the Functions host, the Durable Task hub (Azure Storage backend:
// queues, tables, lease blobs) and our containers. Only Entra ID auth is accepted (shared keys off).
@description('Name of the storage account (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Name of the user-assigned identity the Functions app runs as.')
param identityName string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Days after their last modification that blobs in the work container are deleted.')
@minValue(1)
@maxValue(365)
param workRetentionDays int

@description('Queue of GPU stages waiting for a GPU worker (the GPU app scales on it).')
param workQueueName string

@description('Queue that Event Grid delivers the inbox container\'s BlobCreated events to.')
param inboxEventsQueueName string

@description('Storage redundancy.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
])
param skuName string = 'Standard_LRS'

var workContainerName = 'work'

// edit-requests: blob inbox; edit-results: edited images and manifests; directions: edit direction embeddings;
// work: inverted latents and other intermediates that the lifecycle rule below expires. The app's list is
// StorageLayout.Containers (functions/Storage/StorageLayout.cs); the infra tests hold this list to it.
var containerNames = [
  'edit-requests'
  'edit-results'
  'directions'
  workContainerName
]

// gpu-work: GPU stages waiting for a GPU worker (the GPU app scales on its length); gpu-completions: the workers'
// reports, relayed by the control plane; inbox-events: Event Grid's BlobCreated events of edit-requests. The app's
// list is StorageQueues (functions/Storage/StorageQueues.cs); the infra tests hold this list to it.
var queueNames = [
  workQueueName
  'gpu-completions'
  inboxEventsQueueName
]

// Functions host and blob trigger need Blob Data Owner (host locks, blob receipts); the blob trigger and the
// Durable backend need queues; the Durable backend keeps instance history in tables.
var dataRoles = [
  {
    name: 'Storage Blob Data Owner'
    id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  }
  {
    name: 'Storage Queue Data Contributor'
    id: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  }
  {
    name: 'Storage Table Data Contributor'
    id: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  }
]

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowCrossTenantReplication: false
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for containerName in containerNames: {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queueName in queueNames: {
    parent: queueService
    name: queueName
  }
]

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-work-files'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${workContainerName}/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: workRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

resource dataRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in dataRoles: {
    name: guid(account.id, identity.id, role.id)
    scope: account
    properties: {
      description: '${role.name} for the Functions app identity'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.id)
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
