package dockertest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// PodmanInstallHint is the command that provides what the Podman harness needs.
const PodmanInstallHint = "apt-get install -y podman busybox-static"

// EnvNoPodman set to "1" declares that this environment has no Podman, so
// RequirePodman skips instead of failing (never honoured when CI=true).
const EnvNoPodman = "DOCKWATCH_TEST_NO_PODMAN"

// PodmanImageRef is the busybox test image in a Podman service. Podman
// qualifies local names with "localhost/", and a fully qualified name keeps
// it from searching registries.
const PodmanImageRef = "localhost/" + ImageRef

// podmanPaths are where Debian installs podman, searched after $PATH.
var podmanPaths = []string{"/usr/bin/podman", "/usr/local/bin/podman"}

// PodmanAvailable reports why Podman tests cannot run here, or nil: they
// need root (rootful Podman, like the Docker harness), podman and the
// static busybox the test image is made of.
func PodmanAvailable() error {
	var errs []error
	if os.Geteuid() != 0 {
		errs = append(errs, errors.New("not running as root (the Podman harness runs rootful podman)"))
	}
	if _, err := findBinary("podman", podmanPaths); err != nil {
		errs = append(errs, err)
	}
	if _, err := busyboxPath(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// RequirePodman gates a test on a usable Podman, as Require does for
// Docker: it skips only when DOCKWATCH_TEST_NO_PODMAN=1 declares that this
// environment has none, fails otherwise, and never skips under CI=true.
func RequirePodman(t testing.TB) {
	t.Helper()
	err := PodmanAvailable()
	if os.Getenv(EnvCI) == "true" {
		if os.Getenv(EnvNoPodman) == "1" {
			t.Fatalf("%s=1 is not allowed when CI=true: CI must run the Podman tests; install Podman with: %s", EnvNoPodman, PodmanInstallHint)
		}
		if err != nil {
			t.Fatalf("Podman required in CI: %v\ninstall with: %s", err, PodmanInstallHint)
		}
		return
	}
	if os.Getenv(EnvNoPodman) == "1" {
		t.Skipf("skipping Podman test: %s=1 (install with: %s)", EnvNoPodman, PodmanInstallHint)
	}
	if err != nil {
		t.Fatalf("Podman required: %v\ninstall with: %s (or set %s=1 to skip these tests)", err, PodmanInstallHint, EnvNoPodman)
	}
}

// Podman is one `podman system service` serving the Docker-compatible API
// on a private unix socket, with its own storage (vfs), run root, locks,
// network configuration and event log under Dir, so that it shares nothing
// with the machine's Podman or with other test processes.
type Podman struct {
	// Host is the service's socket, unix:///tmp/pw.../p.sock.
	Host string
	// Dir holds everything the service owns; it is removed at cleanup.
	Dir string
	// LogFile is the service's output.
	LogFile string

	podman string

	mu       sync.Mutex
	proc     *os.Process
	exited   chan struct{}
	exitErr  error
	imported bool
}

// StartPodman starts a private Podman service, waits until it answers and
// registers a cleanup that removes its containers, stops it and deletes
// every trace of it. Directories of test processes that died are swept
// first.
func StartPodman(t TB) *Podman {
	t.Helper()
	sweepStalePodman(t)
	p, err := newPodman()
	if err != nil {
		t.Fatalf("prepare podman service: %v (install with: %s)", err, PodmanInstallHint)
	}
	t.Cleanup(func() { p.destroy(t) })
	if err := p.spawn(); err != nil {
		t.Fatalf("start podman service: %v", err)
	}
	if err := p.waitReady(); err != nil {
		t.Fatalf("podman service in %s did not come up: %v\n--- tail of %s ---\n%s", p.Dir, err, p.LogFile, tail(p.LogFile, 40))
	}
	t.Logf("podman service %s up (dir %s)", p.Host, p.Dir)
	return p
}

// newPodman finds podman and writes the service's private configuration;
// nothing runs yet.
func newPodman() (*Podman, error) {
	if err := PodmanAvailable(); err != nil {
		return nil, err
	}
	bin, _ := findBinary("podman", podmanPaths)
	dir, err := os.MkdirTemp("/tmp", "pw")
	if err != nil {
		return nil, fmt.Errorf("create podman dir: %w", err)
	}
	p := &Podman{Host: "unix://" + filepath.Join(dir, "p.sock"), Dir: dir,
		LogFile: filepath.Join(dir, "service.log"), podman: bin}
	if err := p.writeConfig(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// writeConfig claims Dir and writes containers.conf, storage.conf and an
// empty registries.conf, which the environment then points at, so that no
// host configuration leaks in. File locks (not the host-wide shared-memory
// segment) keep concurrent services from freeing each other's locks. The
// ulimits are ones runc can set in this sandbox, whose defaults exceed the
// hard limits.
func (p *Podman) writeConfig() error {
	if err := claimDir(p.Dir); err != nil {
		return err
	}
	for _, sub := range []string{"root", "run", "tmp", "net"} {
		if err := os.MkdirAll(filepath.Join(p.Dir, sub), 0o700); err != nil {
			return fmt.Errorf("create podman dir: %w", err)
		}
	}
	files := map[string]string{
		"containers.conf": fmt.Sprintf(`[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
lock_type = "file"
tmp_dir = %[1]q
[network]
network_config_dir = %[2]q
`, filepath.Join(p.Dir, "tmp"), filepath.Join(p.Dir, "net")),
		"storage.conf": fmt.Sprintf("[storage]\ndriver = \"vfs\"\ngraphroot = %q\nrunroot = %q\n",
			filepath.Join(p.Dir, "root"), filepath.Join(p.Dir, "run")),
		"registries.conf": "unqualified-search-registries = []\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(p.Dir, name), []byte(content), 0o644); err != nil {
			return fmt.Errorf("write podman %s: %w", name, err)
		}
	}
	return nil
}

// env is the environment of every podman process of this service.
func (p *Podman) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CONTAINERS_") && !strings.HasPrefix(kv, "DOCKER_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"CONTAINERS_CONF="+filepath.Join(p.Dir, "containers.conf"),
		"CONTAINERS_STORAGE_CONF="+filepath.Join(p.Dir, "storage.conf"),
		"CONTAINERS_REGISTRIES_CONF="+filepath.Join(p.Dir, "registries.conf"))
}

// globalArgs repeat the configuration on the command line, which wins over
// any file podman might still read.
func (p *Podman) globalArgs() []string {
	return []string{"--root", filepath.Join(p.Dir, "root"), "--runroot", filepath.Join(p.Dir, "run"),
		"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
		"--tmpdir", filepath.Join(p.Dir, "tmp"), "--network-config-dir", filepath.Join(p.Dir, "net")}
}

// spawn runs the service from a goroutine locked to its OS thread, so that
// Pdeathsig fires only if the test process dies (see Daemon.spawn).
// --time=0 keeps it serving however long the test is idle.
func (p *Podman) spawn() error {
	cmd := exec.Command(p.podman, append(p.globalArgs(), "system", "service", "--time=0", p.Host)...)
	cmd.Env = p.env()
	return spawnPinned(cmd, p.LogFile,
		func(proc *os.Process, exited chan struct{}) {
			p.mu.Lock()
			p.proc, p.exited = proc, exited
			p.mu.Unlock()
		},
		func(err error) { p.exitErr = err })
}
