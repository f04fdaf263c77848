export {
  DOCKER_HUB,
  readRegistries,
  registryLocationOf,
  type RegistryConfig,
} from './readRegistries';
export {
  MANIFEST_MEDIA_TYPES,
  nextLink,
  parseAuthChallenge,
  RegistryClient,
  type AuthChallenge,
  type TagListing,
} from './RegistryClient';
