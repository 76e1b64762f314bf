// Package dockertest starts real, throwaway Docker daemons for tests and
// demos: each has its own data-root, exec-root, pidfile, unix socket and
// containerd, optionally a mutual-TLS listener on 127.0.0.1, and is torn down
// completely (containers, processes, mounts, directories) when the test ends.
//
// Fakes cannot show how a real daemon answers stats requests, rotates
// certificates or survives restarts, so the controller and Docker packages
// are tested against these daemons. Images come from a local static busybox
// because no registry is reachable.
//
// Everything here works with a small TB interface rather than testing.TB,
// so a non-test program (the README demo) can use it through Standalone.
package dockertest
