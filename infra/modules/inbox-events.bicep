// The blob inbox's event source: the data account's Event Grid system topic delivers each BlobCreated of the
// edit-requests container to the inbox-events queue, where the control plane's queue trigger (EditRequestInboxEvents)
// takes it. A queue, unlike the polling blob trigger, is a source the Functions platform scales on, and it keeps the
// events while no replica runs. Event Grid writes to the queue as the user-assigned identity, which holds Storage
// Queue Data Contributor on the account (modules/storage.bicep): no key, no webhook, no function key.
@description('Name of the Event Grid system topic.')
param name string

@description('Name of the existing data storage account whose blob events are delivered.')
param storageAccountName string

@description('Name of the user-assigned identity Event Grid delivers as.')
param identityName string

@description('Container whose new blobs are edit requests.')
param inboxContainerName string

@description('Queue the events are delivered to.')
param queueName string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource inboxBlobCreated 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: 'inbox-blob-created'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${inboxContainerName}/blobs/'
    }
    deliveryWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: identity.id
      }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: storage.id
          queueName: queueName
          // Kept until taken: an event must not expire while the control plane is being redeployed.
          queueMessageTimeToLiveInSeconds: -1
        }
      }
    }
  }
}

output name string = topic.name
