// The control plane: the Functions app (HTTP API, web page, inbox, orchestrations, the light activities) as a
// Container Apps app of kind 'functionapp' on the environment's CPU Consumption profile. Its GPU stages go to the GPU
// workers through the work queue (Pix2PixZero__GpuStages=Queue; modules/gpu-worker-app.bicep).
// Every connection is identity-based: AzureWebJobsStorage uses the user-assigned identity (no connection string),
// the image is pulled with it (AcrPull) and telemetry is sent with it (Entra auth to Application Insights).
@description('Name of the container app.')
param name string

@description('azd service name; azd finds the app to deploy to by this tag.')
param serviceName string

@description('Container image to run. Empty until azd has pushed the first build; a public Functions sample image stands in.')
param image string

@description('Name of the existing Container Apps environment.')
param environmentName string

@description('Name of the CPU workload profile in the environment that the app runs on.')
param workloadProfileName string

@description('Replicas kept running; at least 1 because Durable Functions on the Azure Storage backend does not scale from zero on Container Apps.')
@minValue(1)
param minReplicas int

@description('Upper bound on control-plane replicas.')
@minValue(1)
param maxReplicas int

@description('Name of the user-assigned identity the app runs as.')
param identityName string

@description('Name of the existing container registry the image comes from.')
param registryName string

@description('Name of the existing data storage account (AzureWebJobsStorage, Durable task hub, our containers).')
param storageAccountName string

@description('Name of the existing Application Insights component.')
param applicationInsightsName string

@description('Name of the model share as registered in the environment.')
param modelStorageName string

@description('Folder on the model share that holds the diffusers ONNX bundle the app loads.')
param modelFolder string

@description('Model pulled into the model folder on first start when it holds no bundle; empty: never pull.')
param modelPull string

@description('Durable Functions task hub name.')
param taskHubName string

@description('How long a request waits for a queued GPU stage (queueing, a GPU cold start, the stage) before failing.')
param gpuStageTimeout string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

var placeholderImage = 'mcr.microsoft.com/azure-functions/dotnet8-quickstart-demo:1.0'
var modelMountPath = '/models'
var modelsVolumeName = 'models'
// The image runs as a non-root user, which cannot bind port 80; ASPNETCORE_URLS below moves the Functions host to
// this port for our image and for the placeholder image alike.
var hostPort = 8080
// A Consumption replica's size: enough to prepare images, publish results and hash the bundle once, no model runs.
var cpu = 2
var memory = '4Gi'

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

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource app 'Microsoft.App/containerApps@2025-07-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp'
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
      ingress: {
        external: true
        targetPort: hostPort
        transport: 'auto'
        allowInsecure: false
      }
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
          name: 'functions'
          image: empty(image) ? placeholderImage : image
          resources: {
            cpu: cpu
            memory: memory
          }
          env: [
            { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'dotnet-isolated' }
            // The host's own start page would otherwise answer the site root instead of the app's web page.
            { name: 'AzureWebJobsDisableHomepage', value: 'true' }
            { name: 'ASPNETCORE_URLS', value: 'http://+:${hostPort}' }
            { name: 'AzureWebJobsStorage__accountName', value: storage.name }
            { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
            { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
            { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
            { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsights.properties.ConnectionString }
            {
              name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
              value: 'ClientId=${identity.properties.clientId};Authorization=AAD'
            }
            { name: 'Pix2PixZero__ModelDirectory', value: '${modelMountPath}/${modelFolder}' }
            { name: 'Pix2PixZero__ModelPull', value: modelPull }
            { name: 'Pix2PixZero__TaskHub', value: taskHubName }
            { name: 'Pix2PixZero__GpuStages', value: 'Queue' }
            { name: 'Pix2PixZero__GpuStageTimeout', value: gpuStageTimeout }
            // Function keys live in a blob container of AzureWebJobsStorage (azure-webjobs-secrets): the host's
            // default, files under /azure-functions-host/Secrets, is not writable by the image's non-root user.
            { name: 'AzureWebJobsSecretStorageType', value: 'blob' }
            // The inbox arrives as Event Grid events (EditRequestInboxEvents); the polling blob trigger stays for
            // the local path only.
            { name: 'AzureWebJobs.EditRequestInbox.Disabled', value: 'true' }
          ]
          volumeMounts: [
            {
              volumeName: modelsVolumeName
              mountPath: modelMountPath
            }
          ]
          // Startup allows ~10 minutes (Container Apps caps failureThreshold at 10): a first start may pull the
          // model bundle into the share (modelPull).
          probes: [
            {
              type: 'Startup'
              tcpSocket: {
                port: hostPort
              }
              initialDelaySeconds: 30
              periodSeconds: 60
              failureThreshold: 10
            }
            {
              type: 'Liveness'
              tcpSocket: {
                port: hostPort
              }
              periodSeconds: 30
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/admin/host/ping'
                port: hostPort
              }
              periodSeconds: 15
              failureThreshold: 3
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
      }
    }
  }
}

output name string = app.name
output uri string = 'https://${app.properties.configuration.ingress.fqdn}'
