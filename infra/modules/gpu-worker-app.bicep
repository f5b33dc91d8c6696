// The GPU worker (worker/): a plain container app on the serverless GPU profile that runs the GPU stages it takes
// from the work queue. It scales from zero: KEDA's azure-queue rule, authenticated as the user-assigned identity (no
// connection string), adds a replica per queued work item (queueLength 1; each replica runs one stage at a time) and
// removes them all once the queue has stayed empty. No ingress: nothing calls it.
@description('Name of the container app.')
param name string

@description('azd service name; azd finds the app to deploy to by this tag.')
param serviceName string

@description('Container image to run. Empty until azd has pushed the first build; a public sample image stands in.')
param image string

@description('Name of the existing Container Apps environment.')
param environmentName string

@description('Name of the GPU workload profile in the environment that the app runs on.')
param workloadProfileName string

@description('vCPUs per replica (the GPU profile fixes them: 8 on T4, 24 on A100).')
param cpu int

@description('Memory per replica (the GPU profile fixes it: 56Gi on T4, 220Gi on A100).')
param memory string

@description('GPU replicas kept running with no work: 0 bills no GPU at idle; 1 keeps one warm for latency.')
@minValue(0)
param minReplicas int

@description('Upper bound on GPU replicas (each holds one GPU and runs one stage at a time).')
@minValue(1)
param maxReplicas int

@description('Name of the user-assigned identity the app runs as.')
param identityName string

@description('Name of the existing container registry the image comes from.')
param registryName string

@description('Name of the existing data storage account (the work and completion queues, our containers).')
param storageAccountName string

@description('Queue of GPU stages the app takes work from and scales on.')
param workQueueName string

@description('Name of the model share as registered read-only in the environment.')
param modelStorageName string

@description('Folder on the model share that holds the diffusers ONNX bundle.')
param modelFolder string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

var placeholderImage = 'mcr.microsoft.com/k8se/quickstart:latest'
var modelMountPath = '/models'
var modelsVolumeName = 'models'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource environment 'Microsoft.App/managedEnvironments@2025-07-01' existing = {
  name: environmentName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource app 'Microsoft.App/containerApps@2025-07-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: workloadProfileName
    configuration: {
      activeRevisionsMode: 'Single'
      registries: [
        {
          server: registry.properties.loginServer
          identity: identity.id
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'worker'
          image: empty(image) ? placeholderImage : image
          resources: {
            cpu: cpu
            memory: memory
          }
          env: [
            { name: 'AzureWebJobsStorage__accountName', value: storage.name }
            { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
            { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
            { name: 'Pix2PixZero__ModelDirectory', value: '${modelMountPath}/${modelFolder}' }
            // A replica whose CUDA does not load stops with the reason in its log instead of editing on the CPU.
            { name: 'Pix2PixZero__RequireGpu', value: 'true' }
          ]
          volumeMounts: [
            {
              volumeName: modelsVolumeName
              mountPath: modelMountPath
            }
          ]
        }
      ]
      volumes: [
        {
          name: modelsVolumeName
          storageType: 'AzureFile'
          storageName: modelStorageName
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        // KEDA removes replicas 300 s after the queue last had work (its default cool-down), so a stage that
        // follows within that time finds its replica warm.
        rules: [
          {
            name: 'gpu-work'
            azureQueue: {
              accountName: storage.name
              queueName: workQueueName
              queueLength: 1
              identity: identity.id
            }
          }
        ]
      }
    }
  }
}

output name string = app.name
