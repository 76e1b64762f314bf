package main

import (
	"strings"
	"testing"

	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// cliDockerHabits runs what docker users type by habit against the real
// daemon's plain unix socket: container names and ID prefixes as
// arguments, substring name filters, durations without a unit and long
// flags with one dash.
func cliDockerHabits(t *testing.T, d *dockertest.Daemon) {
	web := d.RunIdle(t, "web-1")
	d.RunIdle(t, "db")
	plain := map[string]string{"DOCKER_HOST": d.UnixHost}
	names := func(t *testing.T, r result) []string {
		t.Helper()
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
			out = append(out, strings.Fields(l)[1])
		}
		return out
	}
	t.Run("stats NAME selects that container, as docker stats does", func(t *testing.T) {
		if got := names(t, mustSucceed(t, execCLI(t, plain, "stats", "--no-stream", "db"))); strings.Join(got, ",") != "db" {
			t.Errorf("stats db listed %v", got)
		}
	})
	t.Run("stats ID-PREFIX selects that container", func(t *testing.T) {
		if got := names(t, mustSucceed(t, execCLI(t, plain, "stats", "--no-stream", web[:12], "db"))); strings.Join(got, ",") != "web-1,db" {
			t.Errorf("stats %s db listed %v", web[:12], got)
		}
	})
	t.Run("stats of an unknown container fails with docker's words", func(t *testing.T) {
		expectOneLineFailure(t, execCLI(t, plain, "stats", "--no-stream", "nosuch"), "dockwatch: no such container: nosuch")
	})
	t.Run("--filter name= is a substring, as in docker", func(t *testing.T) {
		if got := names(t, mustSucceed(t, execCLI(t, plain, "stats", "--no-stream", "--filter", "name=eb"))); strings.Join(got, ",") != "web-1" {
			t.Errorf("--filter name=eb listed %v", got)
		}
		if got := names(t, mustSucceed(t, execCLI(t, plain, "stats", "--no-stream", "--filter", "name=w*"))); strings.Join(got, ",") != "web-1" {
			t.Errorf("--filter name=w* listed %v", got)
		}
	})
	usage := []struct{ name, want string }{
		{"--timeout 5", "dockwatch: --timeout 5 needs a unit, as in 5s"},
		{"-no-stream", "long flags take two dashes: --no-stream"},
	}
	for i, args := range [][]string{{"--timeout", "5", "ping"}, {"stats", "-no-stream"}} {
		t.Run(usage[i].name+" is a usage error that says what to type", func(t *testing.T) {
			r := execCLI(t, plain, args...)
			if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, usage[i].want) {
				t.Errorf("exit %d, stderr %q; want 2 and one line containing %q", r.code, r.stderr, usage[i].want)
			}
		})
	}
}

// cliTLSOptions tries, against the real --tlsverify daemon, each connection
// setting a DockerHost can state, as its CLI flag.
func cliTLSOptions(t *testing.T, d *dockertest.Daemon) {
	hostPort := strings.TrimPrefix(d.Host, "tcp://")
	https := "https://" + hostPort
	foreign := dockertest.WrongCACerts(t)
	t.Run("-H host:port without a scheme is tcp://", func(t *testing.T) {
		r := mustSucceed(t, execCLI(t, nil, "-H", hostPort, "--tls-dir", d.CertDir, "ping"))
		if !strings.Contains(r.stdout, "tcp://"+hostPort) {
			t.Errorf("ping output lacks the tcp:// endpoint:\n%s", r.stdout)
		}
	})
	t.Run("https:// implies TLS with the certificate flags", func(t *testing.T) {
		r := mustSucceed(t, execCLI(t, nil, "-H", https, "--tlscacert", d.Certs.CAFile,
			"--tlscert", d.CertDir+"/cert.pem", "--tlskey", d.CertDir+"/key.pem", "ping"))
		if !strings.Contains(r.stdout, "(verified)") {
			t.Errorf("https ping did not verify the daemon:\n%s", r.stdout)
		}
	})
	t.Run("https:// honours DOCKER_CERT_PATH", func(t *testing.T) {
		mustSucceed(t, execCLI(t, map[string]string{"DOCKER_HOST": https, "DOCKER_CERT_PATH": d.CertDir}, "ping"))
	})
	t.Run("--tls-insecure-skip-verify accepts a daemon the CA does not vouch for", func(t *testing.T) {
		r := mustSucceed(t, execCLI(t, nil, "-H", d.Host, "--tls-insecure-skip-verify", "--tlscacert", foreign.CAFile,
			"--tlscert", d.CertDir+"/cert.pem", "--tlskey", d.CertDir+"/key.pem", "ping"))
		if !strings.Contains(r.stdout, "(unverified)") {
			t.Errorf("ping output does not say the peer is unverified:\n%s", r.stdout)
		}
	})
	t.Run("--api-version pins the version, as spec.apiVersion", func(t *testing.T) {
		r := mustSucceed(t, execCLI(t, nil, "-H", d.Host, "--tls-dir", d.CertDir, "--api-version", "1.40", "ping"))
		if !strings.Contains(r.stdout, "dockwatch speaks 1.40") {
			t.Errorf("ping output does not show the pinned version:\n%s", r.stdout)
		}
		r = execCLI(t, nil, "-H", d.Host, "--tls-dir", d.CertDir, "--api-version", "1.99", "ping")
		if r.code != 1 || !strings.Contains(r.stderr, "1.99 is too new") {
			t.Errorf("exit %d, stderr %q; want 1 and the daemon's 'too new'", r.code, r.stderr)
		}
	})
	t.Run("plain HTTP to the TLS daemon says so, not 'handshake failed'", func(t *testing.T) {
		r := execCLI(t, nil, "-H", d.Host, "ping")
		expectOneLineFailure(t, r, "dockwatch: ping daemon on "+d.Host+": the daemon expects TLS, but the request was sent without it")
		if strings.Contains(r.stderr, "handshake failed") || !strings.Contains(r.stderr, "--tlsverify") {
			t.Errorf("stderr %q: want no 'handshake failed' and the --tlsverify fix", r.stderr)
		}
	})
}
