package dockertest

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// InstallHint is the exact command that provides everything the harness needs.
const InstallHint = "apt-get install -y docker.io busybox-static"

// Environment variables that decide what Require does.
const (
	// EnvNoDocker set to "1" declares that this environment has no Docker,
	// so Require skips instead of failing (never honoured when CI=true).
	EnvNoDocker = "DOCKWATCH_TEST_NO_DOCKER"
	// EnvCI is set to "true" by CI systems; there a missing Docker fails.
	EnvCI = "CI"
)

// Well-known install locations, searched after $PATH because tests often run
// with a PATH that lacks /usr/sbin.
var (
	dockerdPaths = []string{"/usr/sbin/dockerd", "/usr/bin/dockerd"}
	dockerPaths  = []string{"/usr/bin/docker", "/usr/local/bin/docker"}
	busyboxPaths = []string{"/bin/busybox", "/usr/bin/busybox"}
)

// Available reports why real-daemon tests cannot run here, or nil when they
// can: the harness needs root (dockerd mounts and creates cgroups), dockerd,
// the docker CLI and a statically linked busybox for the test image.
func Available() error {
	var errs []error
	if os.Geteuid() != 0 {
		errs = append(errs, errors.New("not running as root (dockerd needs root)"))
	}
	if _, err := findBinary("dockerd", dockerdPaths); err != nil {
		errs = append(errs, err)
	}
	if _, err := findBinary("docker", dockerPaths); err != nil {
		errs = append(errs, err)
	}
	if _, err := busyboxPath(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Require gates a test on a usable Docker. It skips only when the
// environment declares it has no Docker (DOCKWATCH_TEST_NO_DOCKER=1) and
// fails otherwise, so a broken setup is never mistaken for a pass. Under
// CI=true it never skips: CI must prove the real-daemon tests ran.
func Require(t testing.TB) {
	t.Helper()
	err := Available()
	if os.Getenv(EnvCI) == "true" {
		if os.Getenv(EnvNoDocker) == "1" {
			t.Fatalf("%s=1 is not allowed when CI=true: CI must run the real-daemon tests; install Docker with: %s", EnvNoDocker, InstallHint)
		}
		if err != nil {
			t.Fatalf("real Docker daemon required in CI: %v\ninstall with: %s", err, InstallHint)
		}
		return
	}
	if os.Getenv(EnvNoDocker) == "1" {
		t.Skipf("skipping real-daemon test: %s=1 (install with: %s)", EnvNoDocker, InstallHint)
	}
	if err != nil {
		t.Fatalf("real Docker daemon required: %v\ninstall with: %s (or set %s=1 to skip these tests)", err, InstallHint, EnvNoDocker)
	}
}

// findBinary looks name up in $PATH, then in the usual install locations.
func findBinary(name string, fallbacks []string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, p := range fallbacks {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in $PATH or %v", name, fallbacks)
}

// busyboxPath finds a busybox that runs inside an empty image, which only a
// statically linked one does (Debian's busybox-static, not busybox).
func busyboxPath() (string, error) {
	p, err := findBinary("busybox", busyboxPaths)
	if err != nil {
		return "", err
	}
	static, err := isStatic(p)
	if err != nil {
		return "", fmt.Errorf("inspect %s: %w", p, err)
	}
	if !static {
		return "", fmt.Errorf("%s is dynamically linked; the test image needs busybox-static", p)
	}
	return p, nil
}

// isStatic reports whether the ELF file at p needs no dynamic loader.
func isStatic(p string) (bool, error) {
	f, err := elf.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}
