// Package deploy holds the files that deploy fieldlink: the systemd unit in
// systemd/ and the Kubernetes manifests in kubernetes/. Its tests check
// them, and the Dockerfile at the repository root, against the fieldlink
// binary that the Dockerfile's build command produces.
package deploy
