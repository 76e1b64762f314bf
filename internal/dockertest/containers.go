package dockertest

import (
	"errors"
	"fmt"
	"sync"
)

// Container commands. PID 1 gets no default signal handling, so each traps
// TERM: `docker stop` and daemon shutdown then end it at once instead of
// waiting out the kill timeout.
const (
	busyScript = `trap 'exit 0' TERM; while :; do :; done`
	idleScript = `trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done`
)

// runManyConcurrency is how many `docker run` calls RunMany has in flight.
const runManyConcurrency = 8

// RunBusy starts a container that burns one full core (docker stats shows
// about 100%) and returns its full ID. extra are `docker run` flags placed
// before the image, e.g. "--cpus", "0.5"; they must not set --network.
func (d *Daemon) RunBusy(t TB, name string, extra ...string) string {
	t.Helper()
	d.Image(t)
	id, err := d.run(name, extra, busyScript)
	if err != nil {
		t.Fatalf("run busy container %q: %v", name, err)
	}
	return id
}

// RunIdle starts a container that sleeps forever (near 0% CPU), e.g. with
// "-m", "64m" in extra to give it a memory limit, and returns its full ID.
func (d *Daemon) RunIdle(t TB, name string, extra ...string) string {
	t.Helper()
	d.Image(t)
	id, err := d.run(name, extra, idleScript)
	if err != nil {
		t.Fatalf("run idle container %q: %v", name, err)
	}
	return id
}

// RunMany starts n idle containers named prefix-000, prefix-001, ... with a
// few `docker run` calls in flight at once, and returns their IDs in order.
func (d *Daemon) RunMany(t TB, prefix string, n int) []string {
	t.Helper()
	d.Image(t)
	ids := make([]string, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runManyConcurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ids[i], errs[i] = d.run(fmt.Sprintf("%s-%03d", prefix, i), nil, idleScript)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("run %d idle containers %s-*: %v", n, prefix, err)
	}
	return ids
}

// run starts one detached container without networking and records its ID
// for the shutdown sweep.
func (d *Daemon) run(name string, extra []string, script string) (string, error) {
	args := []string{"run", "--detach", "--network", "none"}
	if name != "" {
		args = append(args, "--name", name)
	}
	args = append(args, extra...)
	args = append(args, ImageRef, "/bin/sh", "-c", script)
	id, err := d.TryDocker(args...)
	if err != nil {
		return "", err
	}
	d.remember(id)
	return id, nil
}
