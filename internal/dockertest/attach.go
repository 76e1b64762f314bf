package dockertest

import (
	"fmt"
	"os"
)

// SystemSocket is where the machine's own Docker daemon listens.
const SystemSocket = "/var/run/docker.sock"

// Attach returns a handle on a Docker daemon the harness did not start (the
// machine's own, for the README demo) so the same helpers (Image, RunBusy,
// RunIdle, Docker) work on it. At cleanup it removes only the containers
// started through the handle and leaves the daemon running. It fails when
// nothing answers at unixHost.
func Attach(t TB, unixHost string) (*Daemon, error) {
	t.Helper()
	docker, err := findBinary("docker", dockerPaths)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("/tmp", "dw")
	if err != nil {
		return nil, fmt.Errorf("create scratch dir: %w", err)
	}
	d := &Daemon{Host: unixHost, UnixHost: unixHost, Dir: dir, docker: docker, known: map[string]bool{}}
	if _, err := d.TryDocker("version", "--format", "{{.Server.Version}}"); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("no Docker daemon answers at %s: %w", unixHost, err)
	}
	t.Cleanup(func() { d.release(t) })
	return d, nil
}

// release removes the containers (and the test image) put on an attached
// daemon through the handle.
func (d *Daemon) release(t TB) {
	d.mu.Lock()
	ids := make([]string, 0, len(d.known))
	for id := range d.known {
		ids = append(ids, id)
	}
	imported := d.imported
	d.mu.Unlock()
	if len(ids) > 0 {
		if _, err := d.TryDocker(append([]string{"rm", "--force", "--volumes"}, ids...)...); err != nil {
			t.Logf("remove containers from %s: %v", d.Host, err)
		}
	}
	if imported {
		if _, err := d.TryDocker("rmi", ImageRef); err != nil {
			t.Logf("remove image %s from %s: %v", ImageRef, d.Host, err)
		}
	}
	_ = os.RemoveAll(d.Dir)
}
