// Model bundles (diffusers ONNX layout, ~GBs) live on an Azure Files share that the environment mounts read-write
// into the control plane (which may pull a bundle there) and read-only into the GPU workers. Container Apps mounts
// SMB shares with the account key, so this account is kept apart from the data account: shared-key access is on
// here, and only here, because the mount requires it.
@description('Name of the storage account that holds the model share (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param accountName string

@description('Name of the file share with the model bundles.')
param shareName string

@description('Name of the existing Container Apps environment that mounts the share.')
param environmentName string

@description('Name of the share as registered in the environment; the app\'s volume refers to it.')
param environmentStorageName string

@description('Name of the share as registered read-only in the environment; the GPU workers\' volume refers to it.')
param readOnlyEnvironmentStorageName string

@description('Share quota in GiB.')
@minValue(1)
@maxValue(5120)
param shareQuotaGiB int = 100

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: accountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowBlobPublicAccess: false
    allowSharedKeyAccess: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowCrossTenantReplication: false
  }
}

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource share 'Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01' = {
  parent: fileService
  name: shareName
  properties: {
    shareQuota: shareQuotaGiB
    enabledProtocols: 'SMB'
  }
}

resource environment 'Microsoft.App/managedEnvironments@2025-07-01' existing = {
  name: environmentName
}

resource environmentStorage 'Microsoft.App/managedEnvironments/storages@2025-07-01' = {
  parent: environment
  name: environmentStorageName
  properties: {
    azureFile: {
      accountName: account.name
      accountKey: account.listKeys().keys[0].value
      shareName: share.name
      // Read-write, for the control plane: it pulls the bundle into the share on first start when modelPull names
      // a model.
      accessMode: 'ReadWrite'
    }
  }
}

// The same share read-only, for the GPU workers: many replicas that come and go only read the bundle (their
// compiled graphs go to a local writable cache), so none can damage it half-way through a write.
resource readOnlyEnvironmentStorage 'Microsoft.App/managedEnvironments/storages@2025-07-01' = {
  parent: environment
  name: readOnlyEnvironmentStorageName
  properties: {
    azureFile: {
      accountName: account.name
      accountKey: account.listKeys().keys[0].value
      shareName: share.name
      accessMode: 'ReadOnly'
    }
  }
}

output accountName string = account.name
output shareName string = share.name
output environmentStorageName string = environmentStorage.name
output readOnlyEnvironmentStorageName string = readOnlyEnvironmentStorage.name
