package dockertest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

// spawnPinned starts cmd with its output appended to logPath, in a process
// group of its own, with Pdeathsig so it dies if the test process does.
// Pdeathsig fires when the thread that started the child exits, so cmd is
// started and waited for on one goroutine locked to its OS thread. started
// gets the process and a channel closed once it has exited; exited gets
// its exit error just before that channel closes.
func spawnPinned(cmd *exec.Cmd, logPath string, started func(*os.Process, chan struct{}), exited func(error)) error {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log %s: %w", logPath, err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	startErr := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			startErr <- err
			return
		}
		started(cmd.Process, done)
		startErr <- nil
		exited(cmd.Wait())
		close(done)
	}()
	return <-startErr
}

// serveLoopback starts handler on a free 127.0.0.1 port until the test
// ends (after close, which the caller gives to release hung requests) and
// returns the server and its tcp:// address.
func serveLoopback(t TB, what string, handler http.HandlerFunc, closeFn func()) (*httptest.Server, string) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen for %s: %v", what, err)
	}
	server := httptest.NewUnstartedServer(handler)
	server.Listener = listener
	server.Start()
	t.Cleanup(closeFn)
	return server, "tcp://" + listener.Addr().String()
}
