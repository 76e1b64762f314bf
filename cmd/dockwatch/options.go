package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

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

// defaultTimeout is the per-request limit when --timeout is not given.
const defaultTimeout = docker.DefaultTimeout

// Flag names shared by resolution and messages, so an error always spells
// the flag the user typed.
const (
	flagHost         = "host"
	flagTLS          = "tls"
	flagTLSVerify    = "tlsverify"
	flagTLSCACert    = "tlscacert"
	flagTLSCert      = "tlscert"
	flagTLSKey       = "tlskey"
	flagTLSDir       = "tls-dir"
	flagServerName   = "tls-server-name"
	flagInsecureSkip = "tls-insecure-skip-verify"
	flagAPIVersion   = "api-version"
	flagTimeout      = "timeout"
)

// globalFlags are the connection settings every command accepts: docker's
// own flags, plus one flag for each TLS option a DockerHost can state
// (spec.tls.serverName, spec.tls.insecureSkipVerify, spec.apiVersion), so a
// host can be tried from the shell before it is written down.
type globalFlags struct {
	host                       string
	tls, tlsVerify             bool
	tlsCACert, tlsCert, tlsKey string
	tlsDir                     string
	serverName                 string
	insecureSkipVerify         bool
	apiVersion                 string
	timeout                    time.Duration
	// set holds the names of flags given on the command line, because
	// flags win over the environment only when they were given.
	set map[string]bool
}

// newGlobalFlags returns the connection settings with their defaults.
func newGlobalFlags() *globalFlags {
	return &globalFlags{timeout: defaultTimeout}
}

// register adds the connection flags to fs (the root command's persistent
// flags, so they are accepted before or after the command name).
func (g *globalFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&g.host, flagHost, "H", g.host, "Daemon socket to connect to: unix:///path, tcp://host[:port], https://host:port or host:port (env DOCKER_HOST; default unix:///var/run/docker.sock, or tcp://localhost:2376 with TLS)")
	fs.BoolVar(&g.tls, flagTLS, g.tls, "Use TLS without verifying the daemon's certificate, as docker's --tls; implied by --tlsverify")
	fs.BoolVar(&g.tlsVerify, flagTLSVerify, g.tlsVerify, "Use TLS and verify the daemon (env DOCKER_TLS_VERIFY, on when set to anything but empty)")
	fs.StringVar(&g.tlsCACert, flagTLSCACert, g.tlsCACert, "CA the daemon's certificate must be signed by (default CERT_DIR/ca.pem)")
	fs.StringVar(&g.tlsCert, flagTLSCert, g.tlsCert, "Client certificate (default CERT_DIR/cert.pem)")
	fs.StringVar(&g.tlsKey, flagTLSKey, g.tlsKey, "Client key (default CERT_DIR/key.pem)")
	fs.StringVar(&g.tlsDir, flagTLSDir, g.tlsDir, "docker-machine folder holding ca.pem, cert.pem and key.pem; implies --tlsverify")
	fs.StringVar(&g.serverName, flagServerName, g.serverName, "Name the daemon's certificate is verified against and sent as SNI, as spec.tls.serverName (default: the host of -H)")
	fs.BoolVar(&g.insecureSkipVerify, flagInsecureSkip, g.insecureSkipVerify, "Use TLS but accept any daemon certificate, as spec.tls.insecureSkipVerify (client certificates are still sent)")
	fs.StringVar(&g.apiVersion, flagAPIVersion, g.apiVersion, "Pin the Engine API version, e.g. 1.41, as spec.apiVersion (env DOCKER_API_VERSION; default: negotiate)")
	fs.DurationVar(&g.timeout, flagTimeout, g.timeout, "Limit for each request to the daemon, with a unit, e.g. 5s")
}

// noteSet records which connection flags fs saw on the command line.
func (g *globalFlags) noteSet(fs *pflag.FlagSet) {
	if g.set == nil {
		g.set = map[string]bool{}
	}
	fs.Visit(func(f *pflag.Flag) { g.set[f.Name] = true })
}

// tlsFile is one PEM file to read and where its path came from, so a
// missing file is reported with the setting that named it.
type tlsFile struct {
	path, origin string
	required     bool
}

// tlsMode is how the connection uses TLS.
type tlsMode int

const (
	tlsOff tlsMode = iota
	// tlsVerify: verify the daemon against the CA, which must exist.
	tlsVerify
	// tlsHTTPS: https:// without certificate flags; a CA in CERT_DIR is
	// used when present, else the system roots, as a DockerHost without
	// spec.tls.secretRef.
	tlsHTTPS
	// tlsNoVerify: --tls or --tls-insecure-skip-verify; the daemon's
	// certificate is not checked.
	tlsNoVerify
)

// resolveConfig turns flags and environment into a client configuration,
// following the docker CLI: flags win over DOCKER_* variables; TLS is on
// with --tlsverify, --tls, --tls-dir, --tls-insecure-skip-verify, an
// https:// host or a non-empty DOCKER_TLS_VERIFY; the certificates come from
// --tls-dir, else DOCKER_CERT_PATH, else $DOCKER_CONFIG or ~/.docker.
// getenv is os.Getenv outside tests.
func resolveConfig(g globalFlags, getenv func(string) string) (docker.Config, error) {
	if g.timeout <= 0 {
		return docker.Config{}, usageErrorf("--timeout must be positive, got %s", g.timeout)
	}
	cfg := docker.Config{APIVersion: g.apiVersion, Timeout: g.timeout}
	if !g.set[flagAPIVersion] {
		cfg.APIVersion = getenv(envAPIVersion)
	}
	host := g.host
	if !g.set[flagHost] {
		host = getenv(envHost)
	}
	mode, err := g.tlsMode(host, getenv)
	if err != nil {
		return docker.Config{}, err
	}
	cfg.Endpoint = normalizeHost(host, mode != tlsOff)
	if strings.HasPrefix(cfg.Endpoint, "unix://") && !g.tlsFromFlags() {
		// `-H unix://...` after `eval $(docker-machine env)`: the
		// variables are meant for the machine, not for the local socket.
		mode = tlsOff
	}
	if mode != tlsOff {
		if cfg.TLS, err = g.loadTLS(mode, getenv); err != nil {
			return docker.Config{}, err
		}
	}
	return cfg, nil
}

// tlsMode decides whether and how TLS is used. Docker treats any non-empty
// DOCKER_TLS_VERIFY (even "0") as on; an explicit --tlsverify=false wins.
// Certificate flags while TLS is off are refused: docker ignores them
// silently, which leaves users wondering why their CA had no effect.
func (g globalFlags) tlsMode(host string, getenv func(string) string) (tlsMode, error) {
	if g.set[flagTLSVerify] && g.tlsVerify && g.insecureSkipVerify {
		return tlsOff, usageErrorf("--tlsverify and --tls-insecure-skip-verify contradict each other: give one")
	}
	https := strings.HasPrefix(host, "https://")
	verify := getenv(envTLSVerify) != "" || g.tlsDir != ""
	if g.set[flagTLSVerify] {
		verify = g.tlsVerify
	}
	switch {
	case g.insecureSkipVerify || (g.tls && !verify):
		return tlsNoVerify, nil
	case verify:
		return tlsVerify, nil
	case https && g.set[flagTLSVerify]:
		return tlsOff, usageErrorf("--tlsverify=false with an https:// host: https always uses TLS (use tcp:// for a plain daemon)")
	case https:
		return tlsHTTPS, nil
	}
	for _, name := range []string{flagTLSDir, flagTLSCACert, flagTLSCert, flagTLSKey, flagServerName} {
		if g.set[name] {
			return tlsOff, usageErrorf("--%s given but TLS is off (add --tlsverify, or use an https:// host)", name)
		}
	}
	return tlsOff, nil
}

// tlsFromFlags reports whether TLS was asked for on the command line
// rather than inherited from DOCKER_TLS_VERIFY.
func (g globalFlags) tlsFromFlags() bool {
	return (g.set[flagTLSVerify] && g.tlsVerify) || g.set[flagTLSDir] || g.tls || g.insecureSkipVerify
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

// loadTLS reads the CA, client certificate and key. With --tlsverify the CA
// is required (verification needs it); with https:// or without
// verification it is optional. A default client certificate or key that
// does not exist is left out, as docker does, so the daemon's own refusal
// names the problem; one given by flag or by --tls-dir must exist.
func (g globalFlags) loadTLS(mode tlsMode, getenv func(string) string) (*docker.TLSMaterial, error) {
	dir, origin := g.certDir(getenv)
	fromMachineDir := g.tlsDir != ""
	pick := func(flagValue, flagName, base string, required bool) tlsFile {
		if flagValue != "" {
			return tlsFile{path: flagValue, origin: "--" + flagName, required: true}
		}
		return tlsFile{path: filepath.Join(dir, base), origin: origin, required: required || fromMachineDir}
	}
	files := []tlsFile{
		pick(g.tlsCACert, flagTLSCACert, "ca.pem", mode == tlsVerify),
		pick(g.tlsCert, flagTLSCert, "cert.pem", false),
		pick(g.tlsKey, flagTLSKey, "key.pem", false),
	}
	var pems [3][]byte
	for i, f := range files {
		data, err := readTLSFile(f)
		if err != nil {
			return nil, err
		}
		pems[i] = data
	}
	return &docker.TLSMaterial{CA: pems[0], Cert: pems[1], Key: pems[2],
		ServerName: g.serverName, InsecureSkipVerify: mode == tlsNoVerify}, nil
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
// (or tcp://localhost:2376 with TLS); HOST:PORT without a scheme is tcp://,
// as docker reads it; and tcp://HOST without a port gets 2376 with TLS and
// 2375 without. Everything else is left for the docker package to
// validate, whose errors say what a valid endpoint looks like.
func normalizeHost(host string, useTLS bool) string {
	if host == "" {
		if useTLS {
			return defaultTLSHost
		}
		return defaultUnixHost
	}
	if !strings.Contains(host, "://") && !strings.HasPrefix(host, "/") {
		host = "tcp://" + host
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
