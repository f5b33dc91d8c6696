// pix2pix-zero on Azure: a CPU control plane (the Functions app: Container Apps, kind functionapp, Durable Functions
// on Azure Storage) and GPU workers that exist only while there is work (serverless GPU profile, scaled from zero on
// the work queue), all connections through one user-assigned managed identity. `azd up` deploys this file.
targetScope = 'subscription'

@description('azd environment name; names the resource group and seeds resource names.')
@minLength(1)
@maxLength(64)
param environmentName string

// Serverless GPUs for Container Apps are offered in these regions only (Container Apps' serverless GPU overview), and
// each needs a GPU quota granted for the subscription (a support request).
@description('Azure region for all resources: one that offers Container Apps serverless GPUs.')
@allowed([
  'australiaeast'
  'swedencentral'
  'westus3'
])
param location string

@description('Serverless GPU workload profile type: NVIDIA A100 (default, 80 GB; an fp32 SD 1.x edit is computed to need about 13.5 GB, unmeasured on a GPU) or T4 (16 GB; fp16 bundles).')
@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
])
param gpuProfileType string = 'Consumption-GPU-NC24-A100'

@description('Functions (control plane) image; azd sets it after its first push (SERVICE_FUNCTIONS_IMAGE_NAME).')
param functionsImage string = ''

@description('GPU worker image; azd sets it after its first push (SERVICE_WORKER_IMAGE_NAME).')
param workerImage string = ''

@description('Control-plane replicas kept running (Durable on Azure Storage needs at least 1; one small CPU replica).')
@minValue(1)
param minReplicas int = 1

@description('Upper bound on control-plane replicas.')
@minValue(1)
param maxReplicas int = 3

@description('GPU replicas kept running with no work: 0 (default) bills no GPU at idle; 1 keeps one warm for latency.')
@minValue(0)
param gpuMinReplicas int = 0

@description('Upper bound on GPU replicas, one GPU each, each running one stage at a time.')
@minValue(1)
param gpuMaxReplicas int = 3

@description('How long a request waits for a queued GPU stage (queueing, a GPU cold start, the stage) before failing.')
param gpuStageTimeout string = '01:00:00'

@description('Registry SKU: Basic is cheapest at idle; Premium is needed for artifact streaming, which shortens a GPU replica\'s cold start (infra/README.md).')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param registrySku string = 'Basic'

@description('Folder on the model share that holds the diffusers ONNX bundle.')
param modelFolder string = 'stable-diffusion-v1-4'

@description('Model to pull into the model folder on first start when it holds no bundle (sd14, sd15 or owner/repo@revision); empty: never pull, upload the bundle instead.')
param modelPull string = ''

@description('Durable Functions task hub name (letters and digits).')
param taskHubName string = 'pix2pixzero'

@description('Days before files in the work container are deleted.')
@minValue(1)
@maxValue(365)
param workRetentionDays int = 7

var tags = {
  'azd-env-name': environmentName
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var serviceName = 'functions'
var workerServiceName = 'worker'

// Names are computed here, from deployment-time values only, so modules never name a resource after another
// module's runtime output (what-if can then predict every resource).
var names = {
  resourceGroup: 'rg-${environmentName}'
  identity: 'id-${resourceToken}'
  logAnalytics: 'log-${resourceToken}'
  applicationInsights: 'appi-${resourceToken}'
  storage: 'st${resourceToken}'
  modelStorage: 'stmodels${resourceToken}'
  modelShare: 'models'
  registry: 'cr${resourceToken}'
  environment: 'cae-${resourceToken}'
  environmentModelStorage: 'models'
  environmentModelStorageReadOnly: 'models-readonly'
  functionApp: 'ca-func-${resourceToken}'
  workerApp: 'ca-gpu-${resourceToken}'
  inboxEvents: 'evgt-${resourceToken}'
  // The queue names are the app's (StorageQueues in functions/Storage/StorageQueues.cs); the infra tests compare.
  workQueue: 'gpu-work'
  inboxEventsQueue: 'inbox-events'
}

// Each GPU profile fixes the vCPU and memory of a replica.
var gpuProfiles = {
  'Consumption-GPU-NC8as-T4': {
    name: 'gpu-t4'
    cpu: 8
    memory: '56Gi'
  }
  'Consumption-GPU-NC24-A100': {
    name: 'gpu-a100'
    cpu: 24
    memory: '220Gi'
  }
}
var gpuProfile = gpuProfiles[gpuProfileType]

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  dependsOn: [
    identity
  ]
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    identityName: names.identity
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  dependsOn: [
    identity
  ]
  params: {
    name: names.storage
    identityName: names.identity
    workRetentionDays: workRetentionDays
    workQueueName: names.workQueue
    inboxEventsQueueName: names.inboxEventsQueue
    location: location
    tags: tags
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  scope: resourceGroup
  dependsOn: [
    identity
  ]
  params: {
    name: names.registry
    identityName: names.identity
    skuName: registrySku
    location: location
    tags: tags
  }
}

module environment 'modules/container-apps-environment.bicep' = {
  name: 'container-apps-environment'
  scope: resourceGroup
  dependsOn: [
    monitoring
  ]
  params: {
    name: names.environment
    logAnalyticsName: names.logAnalytics
    gpuProfileName: gpuProfile.name
    gpuProfileType: gpuProfileType
    location: location
    tags: tags
  }
}

module modelShare 'modules/model-share.bicep' = {
  name: 'model-share'
  scope: resourceGroup
  dependsOn: [
    environment
  ]
  params: {
    accountName: names.modelStorage
    shareName: names.modelShare
    environmentName: names.environment
    environmentStorageName: names.environmentModelStorage
    readOnlyEnvironmentStorageName: names.environmentModelStorageReadOnly
    location: location
    tags: tags
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: resourceGroup
  // The app starts pulling, reading storage and mounting the share as soon as it exists, so every role
  // assignment and the share must be in place first.
  dependsOn: [
    monitoring
    storage
    registry
    modelShare
  ]
  params: {
    name: names.functionApp
    serviceName: serviceName
    image: functionsImage
    environmentName: names.environment
    workloadProfileName: 'Consumption'
    minReplicas: minReplicas
    maxReplicas: maxReplicas
    identityName: names.identity
    registryName: names.registry
    storageAccountName: names.storage
    applicationInsightsName: names.applicationInsights
    modelStorageName: names.environmentModelStorage
    modelFolder: modelFolder
    modelPull: modelPull
    taskHubName: taskHubName
    gpuStageTimeout: gpuStageTimeout
    location: location
    tags: tags
  }
}

module workerApp 'modules/gpu-worker-app.bicep' = {
  name: 'gpu-worker-app'
  scope: resourceGroup
  // Like the control plane: roles, queues and the read-only share must exist before a replica starts.
  dependsOn: [
    storage
    registry
    modelShare
  ]
  params: {
    name: names.workerApp
    serviceName: workerServiceName
    image: workerImage
    environmentName: names.environment
    workloadProfileName: gpuProfile.name
    cpu: gpuProfile.cpu
    memory: gpuProfile.memory
    minReplicas: gpuMinReplicas
    maxReplicas: gpuMaxReplicas
    identityName: names.identity
    registryName: names.registry
    storageAccountName: names.storage
    workQueueName: names.workQueue
    modelStorageName: names.environmentModelStorageReadOnly
    modelFolder: modelFolder
    location: location
    tags: tags
  }
}

module inboxEvents 'modules/inbox-events.bicep' = {
  name: 'inbox-events'
  scope: resourceGroup
  dependsOn: [
    storage
  ]
  params: {
    name: names.inboxEvents
    storageAccountName: names.storage
    identityName: names.identity
    inboxContainerName: 'edit-requests'
    queueName: names.inboxEventsQueue
    location: location
    tags: tags
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.name
output AZURE_CONTAINER_APPS_ENVIRONMENT_NAME string = environment.outputs.name
output AZURE_CONTAINER_APPS_GPU_PROFILE string = gpuProfileType
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_MODEL_STORAGE_ACCOUNT_NAME string = modelShare.outputs.accountName
output AZURE_MODEL_SHARE_NAME string = modelShare.outputs.shareName
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output SERVICE_FUNCTIONS_NAME string = functionApp.outputs.name
output SERVICE_FUNCTIONS_URI string = functionApp.outputs.uri
output SERVICE_WORKER_NAME string = workerApp.outputs.name
