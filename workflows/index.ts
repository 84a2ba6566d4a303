export { journeyWorkflow } from './journey';
export { mapRegistryWorkflow } from './map-registry';
export { bulkOperationWorkflow } from './bulk-operation';
