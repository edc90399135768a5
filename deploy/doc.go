// Package deploy holds ascbot's deployment files: the Slack app manifest, the
// Dockerfile, the systemd unit, the Kubernetes manifests and an example
// configuration. It has no code; its tests keep those files consistent with
// the code (the bot scopes, the configuration contract) and with each other.
package deploy
