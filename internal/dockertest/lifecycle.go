package dockertest

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// RestartOption changes the daemon's configuration for the next start.
type RestartOption func(*Daemon) error

// WithCerts makes a TLS daemon serve c from now on (for example a set under
// a new CA, to test certificate rotation). Host and port stay the same.
func WithCerts(c *Certs) RestartOption {
	return func(d *Daemon) error {
		if !d.opts.TLS {
			return errors.New("WithCerts needs a daemon started with Options.TLS")
		}
		d.useCerts(c)
		return nil
	}
}

// Stop stops the daemon but keeps its data, as a host reboot or a daemon
// upgrade would. Containers stop with it; Restart brings back the ones that
// were running (those with a restart policy the daemon restarts itself).
func (d *Daemon) Stop(t TB) {
	t.Helper()
	if !d.Running() {
		t.Fatalf("stop docker daemon %s: it is not running", d.Host)
	}
	running, err := d.containerIDs(false)
	if err != nil {
		t.Fatalf("stop docker daemon %s: %v", d.Host, err)
	}
	d.rememberContainers()
	d.wasRunning = running
	if err := d.shutdown(t); err != nil {
		t.Fatalf("stop docker daemon %s: %v", d.Host, err)
	}
}

// Restart starts the daemon again on the same data-root, socket and port
// (stopping it first if it runs), applies opts, and starts the containers
// that were running at the last Stop.
func (d *Daemon) Restart(t TB, opts ...RestartOption) {
	t.Helper()
	if d.Running() {
		d.Stop(t)
	}
	for _, o := range opts {
		if err := o(d); err != nil {
			t.Fatalf("restart docker daemon %s: %v", d.Host, err)
		}
	}
	d.launch(t)
	if err := d.startAgain(); err != nil {
		t.Fatalf("restart docker daemon %s: %v", d.Host, err)
	}
}

// startAgain starts the containers that were running at the last Stop and
// still exist but are not running yet.
func (d *Daemon) startAgain() error {
	all, err := d.containerIDs(true)
	if err != nil {
		return err
	}
	running, err := d.containerIDs(false)
	if err != nil {
		return err
	}
	exists, up := set(all), set(running)
	var start []string
	for _, id := range d.wasRunning {
		if exists[id] && !up[id] {
			start = append(start, id)
		}
	}
	d.wasRunning = nil
	if len(start) == 0 {
		return nil
	}
	_, err = d.TryDocker(append([]string{"start"}, start...)...)
	return err
}

// destroy is the cleanup registered by Start: remove containers while the
// daemon still answers, stop it, then delete its directory. Every step runs
// even if an earlier one failed, so as little as possible is left behind.
func (d *Daemon) destroy(t TB) {
	t.Helper()
	var errs []error
	if d.Running() {
		d.rememberContainers()
		if ids, err := d.containerIDs(true); err != nil {
			errs = append(errs, err)
		} else if len(ids) > 0 {
			if _, err := d.TryDocker(append([]string{"rm", "--force", "--volumes"}, ids...)...); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := d.shutdown(t); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(d.Dir); err != nil {
		errs = append(errs, fmt.Errorf("remove %s: %w", d.Dir, err))
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("clean up docker daemon %s: %v", d.Host, err)
	}
}

// shutdown ends dockerd, then anything it left behind: its containerd,
// shims and container processes, and the mounts under Dir. Strays are
// logged, not failed: a daemon killed after termGrace is expected to leave
// them, and the point is that they are gone afterwards.
func (d *Daemon) shutdown(t TB) error {
	t.Helper()
	err := d.terminate(t)
	d.mu.Lock()
	ids := make([]string, 0, len(d.known))
	for id := range d.known {
		ids = append(ids, id)
	}
	d.mu.Unlock()
	killed, killErr := killStrays(d.Dir, ids)
	if len(killed) > 0 {
		t.Logf("killed %d processes docker daemon %s left running: %v", len(killed), d.Host, killed)
	}
	return errors.Join(err, killErr, unmountUnder(d.Dir))
}

// terminate sends SIGTERM (dockerd then stops its containers and its
// containerd) and SIGKILL if it has not exited within termGrace; the
// sweep that follows ends whatever a killed daemon leaves behind.
func (d *Daemon) terminate(t TB) error {
	t.Helper()
	ch := d.exitedChan()
	if ch == nil || !d.Running() {
		return nil
	}
	d.mu.Lock()
	proc := d.proc
	d.mu.Unlock()
	_ = proc.Signal(syscall.SIGTERM)
	select {
	case <-ch:
		return nil
	case <-time.After(termGrace):
	}
	t.Logf("dockerd (pid %d) still running %s after SIGTERM; sending SIGKILL\n--- tail of %s ---\n%s",
		proc.Pid, termGrace, d.LogFile, tail(d.LogFile, 15))
	_ = proc.Kill()
	select {
	case <-ch:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("dockerd (pid %d) survived SIGKILL", proc.Pid)
	}
}

// containerIDs lists full container IDs: all of them, or only running ones.
func (d *Daemon) containerIDs(all bool) ([]string, error) {
	args := []string{"ps", "--quiet", "--no-trunc"}
	if all {
		args = append(args, "--all")
	}
	out, err := d.TryDocker(args...)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// rememberContainers records every container the daemon has, so that if it
// must be killed, their processes can still be found and ended.
func (d *Daemon) rememberContainers() {
	ids, err := d.containerIDs(true)
	if err != nil {
		return
	}
	d.remember(ids...)
}

// remember adds container IDs to the set swept at shutdown.
func (d *Daemon) remember(ids ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range ids {
		d.known[id] = true
	}
}

// set makes a membership map of ss.
func set(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}
