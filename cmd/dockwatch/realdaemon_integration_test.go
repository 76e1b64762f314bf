package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// TestCLIAgainstRealTLSDaemon drives the dockwatch binary as a user would
// against one real `dockerd --tlsverify` on 127.0.0.1: with the variables
// `docker-machine env` prints, with --tls-dir, over the unix socket, and
// with each common TLS mistake, which must exit 1 with one line naming it.
func TestCLIAgainstRealTLSDaemon(t *testing.T) {
	dockertest.Require(t)
	d := dockertest.Start(t, dockertest.Options{TLS: true})
	d.RunIdle(t, "idle", "-m", "64m")
	machineEnv := map[string]string{"DOCKER_HOST": d.Host, "DOCKER_CERT_PATH": d.CertDir, "DOCKER_TLS_VERIFY": "1"}

	t.Run("ping with docker-machine env", func(t *testing.T) {
		r := mustSucceed(t, execCLI(t, machineEnv, "ping"))
		for _, want := range []string{"Endpoint:", d.Host, "API version:", "TLS peer:", "CN=dockwatch-test-daemon", "127.0.0.1", "(verified)"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("ping output lacks %q:\n%s", want, r.stdout)
			}
		}
	})
	t.Run("ping with --tls-dir", func(t *testing.T) {
		r := mustSucceed(t, execCLI(t, nil, "--tls-dir", d.CertDir, "-H", d.Host, "ping"))
		if !strings.Contains(r.stdout, "CN=dockwatch-test-daemon") {
			t.Errorf("ping output lacks the verified peer:\n%s", r.stdout)
		}
	})
	t.Run("ping over the unix socket", func(t *testing.T) {
		r := mustSucceed(t, execCLI(t, map[string]string{"DOCKER_HOST": d.UnixHost}, "ping"))
		if !strings.Contains(r.stdout, "no TLS") {
			t.Errorf("ping over the socket does not say 'no TLS':\n%s", r.stdout)
		}
	})
	t.Run("stats --json over TLS", func(t *testing.T) {
		checkStatsJSON(t, mustSucceed(t, execCLI(t, machineEnv, "stats", "--json", "--filter", "name=idle")))
	})
	t.Run("stats table agrees with docker stats", func(t *testing.T) {
		r := mustSucceed(t, execCLI(t, nil, "--tls-dir", d.CertDir, "--host", d.Host, "stats", "--no-stream", "--filter", "name=idle"))
		dockerMem := d.Docker(t, "stats", "--no-stream", "--format", "{{.MemUsage}}", "idle")
		_, dockerLimit, _ := strings.Cut(dockerMem, " / ")
		if !strings.Contains(r.stdout, " / "+dockerLimit+" ") || !strings.Contains(r.stdout, "idle") {
			t.Errorf("table does not show docker's limit %q for idle:\n%s", dockerLimit, r.stdout)
		}
	})
	cliDockerHabits(t, d)
	cliTLSOptions(t, d)
	cliTLSFailures(t, d)
}

// cliTLSFailures checks that each TLS mistake ends with exit status 1 and
// one stderr line naming the cause. The wrong-server-name case restarts the
// daemon, so it runs last.
func cliTLSFailures(t *testing.T, d *dockertest.Daemon) {
	foreign := dockertest.WrongCACerts(t)
	expired := dockertest.ExpiredClientCerts(t, d.Certs.CA)
	caOnly := t.TempDir()
	copyFile(t, d.Certs.CAFile, filepath.Join(caOnly, "ca.pem"))
	prefix := "dockwatch: ping daemon on " + d.Host + ": TLS handshake failed: "
	cases := []struct {
		name  string
		vars  map[string]string
		args  []string
		cause string
	}{
		{"wrong CA", nil, []string{"-H", d.Host, "--tls-dir", foreign.Dir}, "server certificate signed by unknown authority"},
		{"missing client certificate", map[string]string{"DOCKER_HOST": d.Host, "DOCKER_CERT_PATH": caOnly, "DOCKER_TLS_VERIFY": "1"}, nil,
			"no client certificate was given"},
		{"expired client certificate", nil, []string{"-H", d.Host, "--tls-dir", expired.Dir}, "the client certificate (cert.pem) expired on "},
		{"client certificate of another CA", nil, []string{"-H", d.Host, "--tlsverify", "--tlscacert", d.Certs.CAFile,
			"--tlscert", foreign.CertFile, "--tlskey", foreign.KeyFile}, "the client certificate (cert.pem) is not signed by the CA in ca.pem"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectOneLineFailure(t, execCLI(t, tc.vars, append(tc.args, "ping")...), prefix+tc.cause)
		})
	}
	t.Run("wrong server name", func(t *testing.T) {
		d.Restart(t, dockertest.WithCerts(dockertest.WrongServerNameCerts(t, d.Certs.CA)))
		env := map[string]string{"DOCKER_HOST": d.Host, "DOCKER_CERT_PATH": d.CertDir, "DOCKER_TLS_VERIFY": "1"}
		r := execCLI(t, env, "ping")
		expectOneLineFailure(t, r, prefix+`server name mismatch: the daemon's certificate is not valid for "127.0.0.1" (it lists other.example)`)
		if !strings.Contains(r.stderr, "--tls-server-name") {
			t.Errorf("stderr %q does not name the flag that fixes it", r.stderr)
		}
		// What spec.tls.serverName would do, tried from the shell first.
		r = mustSucceed(t, execCLI(t, env, "--tls-server-name", "other.example", "ping"))
		if !strings.Contains(r.stdout, "other.example") || !strings.Contains(r.stdout, "(verified)") {
			t.Errorf("ping with --tls-server-name did not verify other.example:\n%s", r.stdout)
		}
	})
}

// checkStatsJSON checks the idle container in a stats --json document.
func checkStatsJSON(t *testing.T, r result) {
	t.Helper()
	var doc statsDocument
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("stats --json output is not the document: %v\n%s", err, r.stdout)
	}
	if doc.Daemon.APIVersion == "" || doc.Daemon.NCPU == 0 || doc.Daemon.MemTotalBytes == 0 {
		t.Errorf("daemon section incomplete: %+v", doc.Daemon)
	}
	if len(doc.Containers) != 1 {
		t.Fatalf("%d containers, want only idle:\n%s", len(doc.Containers), r.stdout)
	}
	c := doc.Containers[0]
	if c.Name != "idle" || len(c.ID) != 64 || c.MemoryLimitBytes != 64<<20 || c.CPUPercent == nil || c.PIDs == 0 {
		t.Errorf("idle container = %+v, want name idle, a full ID, a 64 MiB limit, a CPU figure and PIDs", c)
	}
}

// mustSucceed fails the test unless the run exited 0 with nothing on stderr.
func mustSucceed(t *testing.T, r result) result {
	t.Helper()
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	return r
}

// expectOneLineFailure checks exit status 1 and one stderr line starting
// with want.
func expectOneLineFailure(t *testing.T, r result, want string) {
	t.Helper()
	t.Logf("stderr: %s", strings.TrimSpace(r.stderr))
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, want) {
		t.Errorf("stderr %q: want one line starting with %q", r.stderr, want)
	}
}

// copyFile copies src to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
