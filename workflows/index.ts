export { journeyWorkflow } from './journey';
export { mapRegistryWorkflow } from './map-registry';
