package dockertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// cliTimeout bounds one docker CLI call so a hung daemon fails the test
// instead of hanging it until the global test timeout.
const cliTimeout = 3 * time.Minute

// Docker runs the docker CLI against this daemon over its unix socket and
// returns trimmed stdout; on error it fails the test with the CLI's stderr.
func (d *Daemon) Docker(t TB, args ...string) string {
	t.Helper()
	out, err := d.TryDocker(args...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return out
}

// TryDocker is Docker without failing: the error carries the CLI's stderr.
func (d *Daemon) TryDocker(args ...string) (string, error) {
	return d.CLI(append([]string{"--host", d.UnixHost}, args...)...)
}

// TLSArgs are the global CLI flags that reach the TLS listener as the
// client of certs would: pass them to CLI, e.g.
// d.CLI(append(d.TLSArgs(d.Certs), "version")...).
func (d *Daemon) TLSArgs(certs *Certs) []string {
	return []string{"--host", d.Host, "--tlsverify",
		"--tlscacert", certs.CAFile, "--tlscert", certs.CertFile, "--tlskey", certs.KeyFile}
}

// CLI runs the docker CLI with exactly args (no --host added) in an
// environment cleared of DOCKER_* variables and with a private config
// directory, so the user's contexts and credentials never leak in.
func (d *Daemon) CLI(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.docker, args...)
	cmd.Env = cliEnv(filepath.Join(d.Dir, "cli"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return strings.TrimSpace(stdout.String()), fmt.Errorf("docker %s: %w: %s",
			strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// cliEnv is the current environment without DOCKER_* settings, pointing
// DOCKER_CONFIG at configDir.
func cliEnv(configDir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DOCKER_") {
			env = append(env, kv)
		}
	}
	return append(env, "DOCKER_CONFIG="+configDir)
}
