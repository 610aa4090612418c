// Shared by `list-images` and the lazily loaded `push-images` work, which must not import the command.
// Without a domain the server serves the export's ImageName unchanged, so Juju would pull from the
// upstream registry, which an air-gapped cluster cannot reach: that is a set-up error, not a list.
export const NO_DOMAIN =
  'the server has no OCI registry configured (oci-registry.domain / AIRLOCK_OCI_REGISTRY_DOMAIN), ' +
  'so Juju is sent to the upstream registries; set it and restart the server'
