package dockertest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Timeouts for the daemon's life cycle.
const (
	// readyTimeout bounds how long a starting daemon may take to answer; a
	// loaded CI machine can need tens of seconds to bring up containerd.
	readyTimeout = 60 * time.Second
	// termGrace is how long a stopping daemon may take before SIGKILL.
	termGrace = 15 * time.Second
	// containerStopSeconds is the daemon's --shutdown-timeout: it must end
	// well inside termGrace so a clean shutdown is never cut short.
	containerStopSeconds = 5
)

// Options configure Start.
type Options struct {
	// TLS adds a mutual-TLS listener on 127.0.0.1 and makes it Host.
	TLS bool
	// Certs are the certificates for TLS mode; nil generates a fresh set.
	Certs *Certs
	// Args are extra dockerd flags, appended last so they win.
	Args []string
}

// Daemon is one running (or stopped) dockerd with private state.
type Daemon struct {
	// Host is what a client should connect to: the TLS listener
	// (tcp://127.0.0.1:PORT) in TLS mode, else the unix socket.
	Host string
	// UnixHost is the daemon's unix socket (unix:///...), always present;
	// the harness drives its docker CLI through it, without TLS.
	UnixHost string
	// Port is the TLS listener's port, 0 without TLS.
	Port int
	// CertDir holds the client side (ca.pem cert.pem key.pem) in TLS mode.
	CertDir string
	// Certs is the cert set the daemon currently serves in TLS mode.
	Certs *Certs
	// Dir holds everything the daemon owns; it is removed at cleanup.
	Dir string
	// LogFile is dockerd's (and its containerd's) combined output.
	LogFile string

	opts    Options
	dockerd string
	docker  string

	mu         sync.Mutex
	proc       *os.Process
	exited     chan struct{}
	exitErr    error
	imported   bool
	wasRunning []string
	known      map[string]bool
}

// Start launches a private dockerd (which spawns its own containerd), waits
// until it answers and registers a cleanup that removes its containers,
// stops it and deletes every trace of it. Paths live in a short /tmp/dw*
// directory because unix socket paths are limited to 108 bytes.
func Start(t TB, opts Options) *Daemon {
	t.Helper()
	sweepStale(t)
	d, err := newDaemon(opts)
	if err != nil {
		t.Fatalf("prepare docker daemon: %v (install with: %s)", err, InstallHint)
	}
	t.Cleanup(func() { d.destroy(t) })
	if opts.TLS {
		d.useCerts(opts.Certs)
		if d.Certs == nil {
			d.useCerts(NewCerts(t, CertOptions{}))
		}
		if d.Port, err = freePort(); err != nil {
			t.Fatalf("pick a port for the TLS daemon: %v", err)
		}
		d.Host = "tcp://127.0.0.1:" + strconv.Itoa(d.Port)
	}
	d.launch(t)
	t.Logf("docker daemon %s up (dir %s)", d.Host, d.Dir)
	return d
}

// newDaemon finds the binaries and creates the daemon's directory and
// config file; nothing runs yet.
func newDaemon(opts Options) (*Daemon, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	dockerd, _ := findBinary("dockerd", dockerdPaths)
	docker, _ := findBinary("docker", dockerPaths)
	dir, err := os.MkdirTemp("/tmp", "dw")
	if err != nil {
		return nil, fmt.Errorf("create daemon dir: %w", err)
	}
	if err := prepareDir(dir); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	sock := filepath.Join(dir, "d.sock")
	return &Daemon{
		Host: "unix://" + sock, UnixHost: "unix://" + sock,
		Dir: dir, LogFile: filepath.Join(dir, "dockerd.log"),
		opts: opts, dockerd: dockerd, docker: docker, known: map[string]bool{},
	}, nil
}

// prepareDir marks dir as this process's and writes an empty daemon config,
// which keeps a host's /etc/docker/daemon.json out.
func prepareDir(dir string) error {
	if err := claimDir(dir); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), []byte("{}\n"), 0o644); err != nil {
		return fmt.Errorf("write daemon config: %w", err)
	}
	return nil
}

// useCerts makes c the daemon's certificates (nil keeps the current ones).
func (d *Daemon) useCerts(c *Certs) {
	if c != nil {
		d.Certs, d.CertDir = c, c.Dir
	}
}

// args builds dockerd's command line. Networking is off (no bridge, no
// iptables) so test daemons never touch the host's network setup, and the
// containerd namespace is private in case a system containerd is shared.
func (d *Daemon) args() []string {
	ns := "dw-" + filepath.Base(d.Dir)
	a := []string{
		"--host", d.UnixHost,
		"--data-root", filepath.Join(d.Dir, "root"),
		"--exec-root", filepath.Join(d.Dir, "exec"),
		"--pidfile", filepath.Join(d.Dir, "dockerd.pid"),
		"--config-file", filepath.Join(d.Dir, "daemon.json"),
		"--bridge=none", "--iptables=false", "--ip6tables=false",
		"--containerd-namespace", ns, "--containerd-plugins-namespace", ns + "-plugins",
		"--shutdown-timeout", strconv.Itoa(containerStopSeconds),
	}
	if d.opts.TLS {
		a = append(a, "--host", d.Host, "--tlsverify",
			"--tlscacert", d.Certs.CAFile, "--tlscert", d.Certs.ServerCertFile, "--tlskey", d.Certs.ServerKeyFile)
	}
	return append(a, d.opts.Args...)
}

// launch starts dockerd and waits until it answers, failing with the tail
// of its log so the reason is in the test output.
func (d *Daemon) launch(t TB) {
	t.Helper()
	if err := d.spawn(); err != nil {
		t.Fatalf("start dockerd: %v", err)
	}
	if err := d.waitReady(readyTimeout); err != nil {
		t.Fatalf("docker daemon in %s did not come up: %v\n--- tail of %s ---\n%s", d.Dir, err, d.LogFile, tail(d.LogFile, 40))
	}
}

// spawn runs dockerd from a goroutine locked to its OS thread, so that
// Pdeathsig (tied to the forking thread) fires only if the test process
// dies, never because Go retired a thread. Its log is appended to LogFile.
func (d *Daemon) spawn() error {
	return spawnPinned(exec.Command(d.dockerd, d.args()...), d.LogFile,
		func(proc *os.Process, exited chan struct{}) {
			d.mu.Lock()
			d.proc, d.exited = proc, exited
			d.mu.Unlock()
		},
		func(err error) { d.exitErr = err })
}

// waitReady polls the daemon's /_ping on its unix socket (and, in TLS mode,
// that the TCP listener accepts) until it answers, it exits, or time is up.
func (d *Daemon) waitReady(timeout time.Duration) error {
	client := unixClient(d.UnixHost[len("unix://"):])
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(timeout)
	for {
		err := ping(client)
		if err == nil && d.Port != 0 {
			err = dialOnce("127.0.0.1:" + strconv.Itoa(d.Port))
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer after %s: %w", timeout, err)
		}
		select {
		case <-d.exitedChan():
			return fmt.Errorf("dockerd exited: %v", d.exitErr)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Running reports whether the daemon process is alive.
func (d *Daemon) Running() bool {
	ch := d.exitedChan()
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return false
	default:
		return true
	}
}

// exitedChan is closed when the current dockerd process has exited; nil
// before the first start.
func (d *Daemon) exitedChan() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.exited
}

// unixClient is an HTTP client that reaches the daemon over its socket.
func unixClient(sock string) *http.Client {
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "unix", sock)
	}}
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

// ping asks the daemon's /_ping endpoint whether the API is serving.
func ping(c *http.Client) error {
	resp, err := c.Get("http://docker/_ping")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/_ping answered %s", resp.Status)
	}
	return nil
}

// dialOnce checks that something accepts TCP connections at addr.
func dialOnce(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

// freePort asks the kernel for an unused loopback port. Another process
// could take it before dockerd binds it; launch then fails with the log.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("listen on 127.0.0.1:0: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
