package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dockwatch/dockwatch/internal/docker"
)

// Environment variables read as the docker CLI reads them (`docker-machine
// env` prints the first three).
const (
	envHost       = "DOCKER_HOST"
	envCertPath   = "DOCKER_CERT_PATH"
	envTLSVerify  = "DOCKER_TLS_VERIFY"
	envAPIVersion = "DOCKER_API_VERSION"
	envConfig     = "DOCKER_CONFIG"
)

// Docker's defaults: the local socket, or the TLS port on localhost when TLS
// is asked for without a host, exactly as the docker CLI picks them.
const (
	defaultUnixHost = "unix:///var/run/docker.sock"
	defaultTLSHost  = "tcp://localhost:2376"
	defaultTLSPort  = "2376"
	defaultTCPPort  = "2375"
)

// globalFlags are the connection settings every command accepts, spelled as
// the docker CLI spells them.
type globalFlags struct {
	host                       string
	tlsVerify                  bool
	tlsCACert, tlsCert, tlsKey string
	tlsDir                     string
	apiVersion                 string
	timeout                    time.Duration
	// set holds the canonical names of flags given on the command line,
	// because flags win over the environment only when they were given.
	set map[string]bool
}

// flagAliases maps short spellings to the canonical flag name.
var flagAliases = map[string]string{"H": "host"}

// register adds the global flags to fs. It is called for the top level and
// for each command, so `dockwatch -H x ping` and `dockwatch ping -H x` both
// work; both write into the same globalFlags.
func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.host, "H", g.host, "")
	fs.StringVar(&g.host, "host", g.host, "daemon socket to connect to (env DOCKER_HOST)")
	fs.BoolVar(&g.tlsVerify, "tlsverify", g.tlsVerify, "use TLS and verify the daemon (env DOCKER_TLS_VERIFY)")
	fs.StringVar(&g.tlsCACert, "tlscacert", g.tlsCACert, "trust certs signed only by this CA (default CERT_DIR/ca.pem)")
	fs.StringVar(&g.tlsCert, "tlscert", g.tlsCert, "TLS client certificate (default CERT_DIR/cert.pem)")
	fs.StringVar(&g.tlsKey, "tlskey", g.tlsKey, "TLS client key (default CERT_DIR/key.pem)")
	fs.StringVar(&g.tlsDir, "tls-dir", g.tlsDir, "docker-machine folder with ca.pem, cert.pem, key.pem; implies --tlsverify")
	fs.StringVar(&g.apiVersion, "api-version", g.apiVersion, "pin the Engine API version, e.g. 1.41 (env DOCKER_API_VERSION)")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "limit for each request to the daemon")
}

// noteSet records which global flags fs saw on the command line.
func (g *globalFlags) noteSet(fs *flag.FlagSet) {
	if g.set == nil {
		g.set = map[string]bool{}
	}
	fs.Visit(func(f *flag.Flag) {
		name := f.Name
		if alias, ok := flagAliases[name]; ok {
			name = alias
		}
		g.set[name] = true
	})
}

// tlsFile is one PEM file to read and where its path came from, so a
// missing file is reported with the setting that named it.
type tlsFile struct {
	path, origin string
	required     bool
}

// resolveConfig turns flags and environment into a client configuration,
// following the docker CLI: flags win over DOCKER_* variables; TLS is on
// with --tlsverify, --tls-dir or a non-empty DOCKER_TLS_VERIFY; the
// certificates come from --tls-dir, else DOCKER_CERT_PATH, else
// $DOCKER_CONFIG or ~/.docker. getenv is os.Getenv outside tests.
func resolveConfig(g globalFlags, getenv func(string) string) (docker.Config, error) {
	if g.timeout <= 0 {
		return docker.Config{}, usageErrorf("--timeout must be positive, got %s", g.timeout)
	}
	useTLS, err := g.wantTLS(getenv)
	if err != nil {
		return docker.Config{}, err
	}
	cfg := docker.Config{APIVersion: g.apiVersion, Timeout: g.timeout}
	if !g.set["api-version"] {
		cfg.APIVersion = getenv(envAPIVersion)
	}
	host := g.host
	if !g.set["host"] {
		host = getenv(envHost)
	}
	cfg.Endpoint = normalizeHost(host, useTLS)
	if strings.HasPrefix(cfg.Endpoint, "unix://") && !g.tlsFromFlags() {
		// `-H unix://...` after `eval $(docker-machine env)`: the
		// variables are meant for the machine, not for the local socket.
		useTLS = false
	}
	if useTLS {
		if cfg.TLS, err = g.loadTLS(getenv); err != nil {
			return docker.Config{}, err
		}
	}
	return cfg, nil
}

// wantTLS decides whether TLS is on. Docker treats any non-empty
// DOCKER_TLS_VERIFY (even "0") as on; an explicit --tlsverify=false wins.
// Certificate flags while TLS is off are refused: docker ignores them
// silently, which leaves users wondering why their CA had no effect.
func (g globalFlags) wantTLS(getenv func(string) string) (bool, error) {
	on := getenv(envTLSVerify) != "" || g.tlsDir != ""
	if g.set["tlsverify"] {
		on = g.tlsVerify
	}
	if on {
		return true, nil
	}
	for _, name := range []string{"tls-dir", "tlscacert", "tlscert", "tlskey"} {
		if g.set[name] {
			return false, usageErrorf("--%s given but TLS is off (add --tlsverify)", name)
		}
	}
	return false, nil
}

// tlsFromFlags reports whether TLS was asked for on the command line
// rather than inherited from DOCKER_TLS_VERIFY.
func (g globalFlags) tlsFromFlags() bool {
	return (g.set["tlsverify"] && g.tlsVerify) || g.set["tls-dir"]
}

// certDir is the folder the default ca.pem/cert.pem/key.pem are read from,
// with a description of the setting that chose it.
func (g globalFlags) certDir(getenv func(string) string) (dir, origin string) {
	if g.tlsDir != "" {
		return g.tlsDir, "--tls-dir"
	}
	if p := getenv(envCertPath); p != "" {
		return p, envCertPath
	}
	if p := getenv(envConfig); p != "" {
		return p, envConfig
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".docker"), "the default ~/.docker"
}

// loadTLS reads the CA, client certificate and key. The CA is required
// (verification needs it). A default client certificate or key that does
// not exist is left out, as docker does, so the daemon's own refusal names
// the problem; one given by flag or by --tls-dir must exist.
func (g globalFlags) loadTLS(getenv func(string) string) (*docker.TLSMaterial, error) {
	dir, origin := g.certDir(getenv)
	fromMachineDir := g.tlsDir != ""
	pick := func(flagValue, flagName, base string, required bool) tlsFile {
		if flagValue != "" {
			return tlsFile{path: flagValue, origin: "--" + flagName, required: true}
		}
		return tlsFile{path: filepath.Join(dir, base), origin: origin, required: required || fromMachineDir}
	}
	files := []tlsFile{
		pick(g.tlsCACert, "tlscacert", "ca.pem", true),
		pick(g.tlsCert, "tlscert", "cert.pem", false),
		pick(g.tlsKey, "tlskey", "key.pem", false),
	}
	var pems [3][]byte
	for i, f := range files {
		data, err := readTLSFile(f)
		if err != nil {
			return nil, err
		}
		pems[i] = data
	}
	return &docker.TLSMaterial{CA: pems[0], Cert: pems[1], Key: pems[2]}, nil
}

// readTLSFile reads one PEM file; an optional file that does not exist
// gives nil without error.
func readTLSFile(f tlsFile) ([]byte, error) {
	data, err := os.ReadFile(f.path)
	if err == nil {
		return data, nil
	}
	if errors.Is(err, os.ErrNotExist) && !f.required {
		return nil, nil
	}
	return nil, fmt.Errorf("read TLS file %s (from %s): %w", f.path, f.origin, err)
}

// normalizeHost applies docker's defaults: no host means the local socket
// (or tcp://localhost:2376 with TLS), and tcp://HOST without a port gets
// 2376 with TLS and 2375 without. Everything else is left for the docker
// package to validate, whose errors say what a valid endpoint looks like.
func normalizeHost(host string, useTLS bool) string {
	if host == "" {
		if useTLS {
			return defaultTLSHost
		}
		return defaultUnixHost
	}
	if !strings.HasPrefix(host, "tcp://") {
		return host
	}
	u, err := url.Parse(host)
	if err != nil || u.Host == "" || u.Port() != "" || strings.HasSuffix(u.Host, ":") {
		return host
	}
	port := defaultTCPPort
	if useTLS {
		port = defaultTLSPort
	}
	return "tcp://" + net.JoinHostPort(u.Hostname(), port) + strings.TrimPrefix(host, "tcp://"+u.Host)
}
