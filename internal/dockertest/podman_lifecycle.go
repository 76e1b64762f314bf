package dockertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// waitReady polls the service's /_ping until it answers, the service
// exits, or readyTimeout passes.
func (p *Podman) waitReady() error {
	client := unixClient(strings.TrimPrefix(p.Host, "unix://"))
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(readyTimeout)
	for {
		err := ping(client)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer after %s: %w", readyTimeout, err)
		}
		select {
		case <-p.exitedChan():
			return fmt.Errorf("podman service exited: %v", p.exitErr)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// exitedChan is closed when the service process has exited; nil before it
// started.
func (p *Podman) exitedChan() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

// TryPodman runs the podman CLI on this service's storage (not through its
// socket: podman reads the same root directly, as `podman stats` on a
// host does) and returns trimmed stdout; the error carries stderr.
func (p *Podman) TryPodman(args ...string) (string, error) {
	return runPodman(p.podman, p.env(), append(p.globalArgs(), args...))
}

// Podman is TryPodman that fails the test on error.
func (p *Podman) Podman(t TB, args ...string) string {
	t.Helper()
	out, err := p.TryPodman(args...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return out
}

// runPodman runs one podman command with cliTimeout.
func runPodman(bin string, env, args []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return strings.TrimSpace(stdout.String()), fmt.Errorf("podman %s: %w: %s",
			strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// destroy is StartPodman's cleanup: remove every container, stop the
// service, end what is left, unmount and delete Dir. Every step runs even
// if an earlier one failed.
func (p *Podman) destroy(t TB) {
	t.Helper()
	var errs []error
	if _, err := p.TryPodman("rm", "--force", "--all", "--time", "0"); err != nil {
		errs = append(errs, err)
	}
	p.awaitExitCommands()
	errs = append(errs, p.terminate(t))
	killed, err := killStrays(p.Dir, nil)
	if len(killed) > 0 {
		t.Logf("killed %d processes podman service %s left running: %v", len(killed), p.Host, killed)
	}
	errs = append(errs, err, unmountUnder(p.Dir))
	if err := os.RemoveAll(p.Dir); err != nil {
		errs = append(errs, fmt.Errorf("remove %s: %w", p.Dir, err))
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("clean up podman service %s: %v", p.Host, err)
	}
}

// exitCommandsGrace is how long conmon and the `podman container cleanup`
// it runs may take to finish after the containers were removed.
const exitCommandsGrace = 10 * time.Second

// awaitExitCommands waits until no process but the service itself names
// Dir: conmon outlives `podman rm` by a moment and then runs podman's
// cleanup command, and killing those would leave state half cleaned.
func (p *Podman) awaitExitCommands() {
	p.mu.Lock()
	service := 0
	if p.proc != nil {
		service = p.proc.Pid
	}
	p.mu.Unlock()
	deadline := time.Now().Add(exitCommandsGrace)
	for time.Now().Before(deadline) {
		pids, err := strayPIDs(p.Dir, nil)
		if err != nil || len(pids) == 0 || (len(pids) == 1 && pids[0] == service) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// terminate sends the service SIGTERM, and SIGKILL after termGrace.
func (p *Podman) terminate(t TB) error {
	t.Helper()
	ch := p.exitedChan()
	if ch == nil {
		return nil
	}
	p.mu.Lock()
	proc := p.proc
	p.mu.Unlock()
	_ = proc.Signal(syscall.SIGTERM)
	select {
	case <-ch:
		return nil
	case <-time.After(termGrace):
	}
	t.Logf("podman service (pid %d) still running %s after SIGTERM; sending SIGKILL", proc.Pid, termGrace)
	_ = proc.Kill()
	select {
	case <-ch:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("podman service (pid %d) survived SIGKILL", proc.Pid)
	}
}

// sweepStalePodman removes the directories (/tmp/pw*) of Podman services
// whose test process died without cleaning up: their containers are
// removed through podman itself (conmon and the container processes do
// not name the directory on their command line once reparented), then
// processes that do are killed, mounts detached and the directory deleted.
// Directories of live processes are left alone.
func sweepStalePodman(t TB) {
	t.Helper()
	dirs, _ := filepath.Glob("/tmp/pw*")
	bin, _ := findBinary("podman", podmanPaths)
	for _, dir := range dirs {
		if !orphaned(dir) {
			continue
		}
		stale := &Podman{Dir: dir, podman: bin}
		if _, err := stale.TryPodman("rm", "--force", "--all", "--time", "0"); err != nil {
			t.Logf("remove containers of stale podman dir %s: %v", dir, err)
		}
		if err := removeStale(dir); err != nil {
			t.Logf("could not remove stale podman dir %s: %v", dir, err)
			continue
		}
		t.Logf("removed stale podman dir %s", dir)
	}
}
