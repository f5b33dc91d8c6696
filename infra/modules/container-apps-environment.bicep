// Container Apps environment with a consumption GPU workload profile for the Functions app.
// Logs go to Log Analytics through a diagnostic setting (azure-monitor destination), so the environment never
// holds the workspace's shared key.
@description('Name of the Container Apps environment.')
param name string

@description('Name of the existing Log Analytics workspace that receives the environment\'s logs.')
param logAnalyticsName string

@description('Name the GPU workload profile gets inside the environment; apps refer to it by this name.')
param gpuProfileName string

@description('Serverless GPU workload profile type: NVIDIA A100 (the template\'s default) or T4.')
@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
])
param gpuProfileType string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: logAnalyticsName
}

resource environment 'Microsoft.App/managedEnvironments@2025-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'azure-monitor'
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
      {
        name: gpuProfileName
        workloadProfileType: gpuProfileType
      }
    ]
  }
}

resource logs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'logs-to-log-analytics'
  scope: environment
  properties: {
    workspaceId: logAnalytics.id
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

output name string = environment.name
output defaultDomain string = environment.properties.defaultDomain
