package docker

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// endpointHelp is appended to endpoint errors so the fix is in the message.
const endpointHelp = "use unix:///path/to/docker.sock, tcp://host:port or https://host:port"

// endpoint is a parsed Config.Endpoint.
type endpoint struct {
	raw     string // as configured; every error names the daemon this way
	network string // "unix" or "tcp"
	address string // socket path, or host:port
	https   bool   // the https:// scheme asks for TLS even without material
}

// requestHost is the host of requests to the daemon: host:port, or the
// Docker client's placeholder over a unix socket.
func (e endpoint) requestHost() string {
	if e.network == "unix" {
		return unixRequestHost
	}
	return e.address
}

// parseEndpoint validates an endpoint without touching the network, so a
// typo is reported when the DockerHost is applied rather than on each poll.
func parseEndpoint(raw string) (endpoint, error) {
	if strings.TrimSpace(raw) == "" {
		return endpoint{}, fmt.Errorf("endpoint is empty: %s", endpointHelp)
	}
	if !strings.Contains(raw, "://") {
		return endpoint{}, fmt.Errorf("endpoint %q has no scheme: %s", raw, endpointHelp)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return endpoint{}, fmt.Errorf("endpoint %q: %w (%s)", raw, err, endpointHelp)
	}
	switch u.Scheme {
	case "unix":
		return parseUnixEndpoint(raw, u)
	case "tcp", "https":
		return parseTCPEndpoint(raw, u)
	default:
		return endpoint{}, fmt.Errorf("endpoint %q: unsupported scheme %q: %s", raw, u.Scheme, endpointHelp)
	}
}

// parseUnixEndpoint accepts only an absolute socket path: "unix://var/run"
// would silently read "var" as a host name and "/run" as the path.
func parseUnixEndpoint(raw string, u *url.URL) (endpoint, error) {
	if u.Host != "" || !strings.HasPrefix(u.Path, "/") {
		return endpoint{}, fmt.Errorf("endpoint %q: a unix socket needs an absolute path, as in unix:///var/run/docker.sock", raw)
	}
	return endpoint{raw: raw, network: "unix", address: u.Path}, nil
}

// parseTCPEndpoint requires host and port: Docker's ports differ for TLS
// (2376) and plain (2375), and guessing wrong gives a confusing TLS error.
func parseTCPEndpoint(raw string, u *url.URL) (endpoint, error) {
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return endpoint{}, fmt.Errorf("endpoint %q: only %s://host:port is allowed (no path, query or user)", raw, u.Scheme)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil || host == "" {
		return endpoint{}, fmt.Errorf("endpoint %q: needs a host and a port, as in %s://192.168.99.100:2376 (2376 is Docker's TLS port, 2375 plain)", raw, u.Scheme)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return endpoint{}, fmt.Errorf("endpoint %q: port %q is not a number between 1 and 65535", raw, port)
	}
	return endpoint{raw: raw, network: "tcp", address: u.Host, https: u.Scheme == "https"}, nil
}
