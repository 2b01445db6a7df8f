"""A real Kubernetes control plane for tests: upstream binaries built from the Go module proxy, kwok nodes."""
