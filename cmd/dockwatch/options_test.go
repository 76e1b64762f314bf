package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// certDirFixture writes a docker-machine style folder whose files hold
// their own names, so a test can tell which file was read. Content need
// not be PEM here: resolveConfig only reads; docker.New parses.
func certDirFixture(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(dir+"/"+f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// resolveArgs parses connection flags as dispatch does and resolves them
// against env.
func resolveArgs(t *testing.T, args []string, env map[string]string) (resolved, error) {
	t.Helper()
	g := newGlobalFlags()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	g.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	g.noteSet(fs)
	cfg, err := resolveConfig(*g, func(k string) string { return env[k] })
	r := resolved{endpoint: cfg.Endpoint, apiVersion: cfg.APIVersion, timeout: cfg.Timeout}
	if cfg.TLS != nil {
		r.tls = true
		r.ca, r.cert, r.key = string(cfg.TLS.CA), string(cfg.TLS.Cert), string(cfg.TLS.Key)
	}
	return r, err
}

// resolved is the part of docker.Config the table compares; TLS files are
// compared by the path written into them.
type resolved struct {
	endpoint, apiVersion string
	timeout              time.Duration
	tls                  bool
	ca, cert, key        string
}

// resolveCase is one command line and environment and what it resolves to.
type resolveCase struct {
	name string
	args []string
	env  map[string]string
	want resolved
}

// conventionCases are docker's flag and environment rules, one per case,
// over cert folders made for the test.
func conventionCases(t *testing.T) []resolveCase {
	machine := certDirFixture(t, "ca.pem", "cert.pem", "key.pem")
	other := certDirFixture(t, "ca.pem", "cert.pem", "key.pem")
	caOnly := certDirFixture(t, "ca.pem")
	home := certDirFixture(t)
	if err := os.MkdirAll(filepath.Join(home, ".docker"), 0o700); err != nil {
		t.Fatal(err)
	}
	homeCA := filepath.Join(home, ".docker", "ca.pem")
	if err := os.WriteFile(homeCA, []byte(homeCA), 0o600); err != nil {
		t.Fatal(err)
	}
	machineEnv := map[string]string{"DOCKER_HOST": "tcp://127.0.0.1:2376", "DOCKER_CERT_PATH": machine, "DOCKER_TLS_VERIFY": "1"}
	tlsFiles := func(dir string) resolved {
		return resolved{tls: true, ca: dir + "/ca.pem", cert: dir + "/cert.pem", key: dir + "/key.pem", timeout: 10 * time.Second}
	}
	withEndpoint := func(r resolved, ep string) resolved { r.endpoint = ep; return r }
	return []resolveCase{
		{"nothing set: the local socket", nil, nil,
			resolved{endpoint: "unix:///var/run/docker.sock", timeout: 10 * time.Second}},
		{"DOCKER_HOST without TLS", nil, map[string]string{"DOCKER_HOST": "unix:///run/d.sock"},
			resolved{endpoint: "unix:///run/d.sock", timeout: 10 * time.Second}},
		{"-H wins over DOCKER_HOST", []string{"-H", "tcp://127.0.0.1:2375"}, map[string]string{"DOCKER_HOST": "unix:///run/d.sock"},
			resolved{endpoint: "tcp://127.0.0.1:2375", timeout: 10 * time.Second}},
		{"--host is -H", []string{"--host=unix:///x.sock"}, nil,
			resolved{endpoint: "unix:///x.sock", timeout: 10 * time.Second}},
		{"docker-machine env: TLS from DOCKER_CERT_PATH", nil, machineEnv,
			withEndpoint(tlsFiles(machine), "tcp://127.0.0.1:2376")},
		{"any non-empty DOCKER_TLS_VERIFY is on, as in docker", nil,
			map[string]string{"DOCKER_HOST": "tcp://127.0.0.1:2376", "DOCKER_CERT_PATH": machine, "DOCKER_TLS_VERIFY": "0"},
			withEndpoint(tlsFiles(machine), "tcp://127.0.0.1:2376")},
		{"a unix socket ignores TLS from the environment", []string{"-H", "unix:///x.sock"}, machineEnv,
			resolved{endpoint: "unix:///x.sock", timeout: 10 * time.Second}},
		{"--tlsverify=false wins over DOCKER_TLS_VERIFY", []string{"--tlsverify=false"}, machineEnv,
			resolved{endpoint: "tcp://127.0.0.1:2376", timeout: 10 * time.Second}},
		{"--tls-dir wins over DOCKER_CERT_PATH and implies TLS", []string{"--tls-dir", other, "-H", "tcp://127.0.0.1:2376"},
			map[string]string{"DOCKER_CERT_PATH": machine},
			withEndpoint(tlsFiles(other), "tcp://127.0.0.1:2376")},
		{"file flags override single files of the folder", []string{"--tlscacert", other + "/ca.pem"}, machineEnv,
			resolved{endpoint: "tcp://127.0.0.1:2376", tls: true, ca: other + "/ca.pem", cert: machine + "/cert.pem", key: machine + "/key.pem", timeout: 10 * time.Second}},
		{"default client cert and key may be absent, as in docker", []string{"--tlsverify", "-H", "tcp://127.0.0.1:2376"},
			map[string]string{"DOCKER_CERT_PATH": caOnly},
			resolved{endpoint: "tcp://127.0.0.1:2376", tls: true, ca: caOnly + "/ca.pem", timeout: 10 * time.Second}},
		{"~/.docker is the last resort", []string{"--tlsverify", "-H", "tcp://127.0.0.1:2376"}, map[string]string{"HOME": home},
			resolved{endpoint: "tcp://127.0.0.1:2376", tls: true, ca: homeCA, timeout: 10 * time.Second}},
		{"TLS without a host goes to localhost:2376", []string{"--tls-dir", machine}, nil,
			withEndpoint(tlsFiles(machine), "tcp://localhost:2376")},
		{"tcp:// without port gets 2376 with TLS", nil,
			map[string]string{"DOCKER_HOST": "tcp://127.0.0.1", "DOCKER_CERT_PATH": machine, "DOCKER_TLS_VERIFY": "1"},
			withEndpoint(tlsFiles(machine), "tcp://127.0.0.1:2376")},
		{"tcp:// without port gets 2375 without TLS", []string{"-H", "tcp://127.0.0.1"}, nil,
			resolved{endpoint: "tcp://127.0.0.1:2375", timeout: 10 * time.Second}},
		{"API version from env, flag wins", []string{"--api-version", "1.40", "--timeout", "3s"}, map[string]string{"DOCKER_API_VERSION": "1.39"},
			resolved{endpoint: "unix:///var/run/docker.sock", apiVersion: "1.40", timeout: 3 * time.Second}},
		{"host:port without a scheme is tcp://, as docker reads it", []string{"-H", "127.0.0.1:2375"}, nil,
			resolved{endpoint: "tcp://127.0.0.1:2375", timeout: 10 * time.Second}},
		{"https:// implies TLS and reads DOCKER_CERT_PATH", nil, map[string]string{"DOCKER_HOST": "https://127.0.0.1:2376", "DOCKER_CERT_PATH": machine},
			withEndpoint(tlsFiles(machine), "https://127.0.0.1:2376")},
		{"https:// with a CA flag needs no --tlsverify", []string{"-H", "https://127.0.0.1:2376", "--tlscacert", other + "/ca.pem"}, map[string]string{"HOME": home},
			resolved{endpoint: "https://127.0.0.1:2376", tls: true, ca: other + "/ca.pem", timeout: 10 * time.Second}},
		{"API version from env", nil, map[string]string{"DOCKER_API_VERSION": "1.39"},
			resolved{endpoint: "unix:///var/run/docker.sock", apiVersion: "1.39", timeout: 10 * time.Second}},
	}
}

func TestResolveConfigFollowsDockerFlagAndEnvConventions(t *testing.T) {
	for _, tt := range conventionCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveArgs(t, tt.args, tt.env)
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if got != tt.want {
				t.Errorf("resolved\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestResolveConfigRejectsWhatCannotWork(t *testing.T) {
	machine := certDirFixture(t, "ca.pem", "cert.pem", "key.pem")
	noKey := certDirFixture(t, "ca.pem", "cert.pem")
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		wantUsage bool
		wantText  string
	}{
		{"CA flag while TLS is off", []string{"--tlscacert", machine + "/ca.pem"}, nil, true, "--tlscacert given but TLS is off"},
		{"cert dir flag switched off", []string{"--tls-dir", machine, "--tlsverify=false"}, nil, true, "--tls-dir given but TLS is off"},
		{"no CA in DOCKER_CERT_PATH", []string{"--tlsverify"}, map[string]string{"DOCKER_CERT_PATH": "/nonexistent"}, false,
			"read TLS file /nonexistent/ca.pem (from DOCKER_CERT_PATH)"},
		{"machine folder without key", []string{"--tls-dir", noKey}, nil, false, "key.pem (from --tls-dir)"},
		{"explicit key missing", []string{"--tlsverify", "--tlskey", "/nonexistent/k.pem"}, map[string]string{"DOCKER_CERT_PATH": machine}, false,
			"/nonexistent/k.pem (from --tlskey)"},
		{"server name while TLS is off", []string{"--tls-server-name", "docker.example"}, nil, true, "--tls-server-name given but TLS is off"},
		{"verify and skip verify together", []string{"--tlsverify", "--tls-insecure-skip-verify"}, nil, true, "contradict each other"},
		{"https:// with TLS switched off", []string{"-H", "https://127.0.0.1:2376", "--tlsverify=false"}, nil, true, "https always uses TLS"},
		{"zero timeout", []string{"--timeout", "0s"}, nil, true, "--timeout must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolveArgs(t, tt.args, tt.env)
			if err == nil {
				t.Fatal("resolved without error")
			}
			var ue *usageError
			if errors.As(err, &ue) != tt.wantUsage {
				t.Errorf("usage error = %v, want %v (%v)", !tt.wantUsage, tt.wantUsage, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
		})
	}
}
