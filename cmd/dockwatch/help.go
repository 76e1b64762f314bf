package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/dockwatch/dockwatch/internal/docker"
)

// defaultTimeout is the per-request limit when --timeout is not given.
const defaultTimeout = docker.DefaultTimeout

// connectionHelp documents the flags every command accepts. It is written
// by hand (docker's layout, short and long names on one line) rather than
// by flag.PrintDefaults, which lists -H and --host apart.
const connectionHelp = `Connection options (before or after the command):
  -H, --host string          Daemon socket to connect to: unix:///path,
                             tcp://host[:port] or https://host:port
                             (env DOCKER_HOST; default unix:///var/run/docker.sock,
                             or tcp://localhost:2376 with TLS)
      --tlsverify            Use TLS and verify the daemon (env DOCKER_TLS_VERIFY,
                             on when set to anything but empty)
      --tlscacert string     CA the daemon's certificate must be signed by
                             (default CERT_DIR/ca.pem)
      --tlscert string       Client certificate (default CERT_DIR/cert.pem)
      --tlskey string        Client key (default CERT_DIR/key.pem)
      --tls-dir string       docker-machine folder holding ca.pem, cert.pem and
                             key.pem; implies --tlsverify
      --api-version string   Pin the Engine API version, e.g. 1.41
                             (env DOCKER_API_VERSION; default: negotiate)
      --timeout duration     Limit for each request to the daemon (default 10s)

CERT_DIR is --tls-dir, else DOCKER_CERT_PATH, else DOCKER_CONFIG, else ~/.docker.
Flags win over environment variables.
`

// topHelp is `dockwatch --help`.
func topHelp() string {
	var b strings.Builder
	b.WriteString("Usage:  dockwatch [CONNECTION OPTIONS] COMMAND [OPTIONS]\n\n")
	b.WriteString("Read container utilization from a Docker daemon, as `docker stats --no-stream`\nshows it. dockwatch only reads; it never changes the daemon.\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	b.WriteString("\n" + connectionHelp)
	b.WriteString("\nRun 'dockwatch COMMAND --help' for more information on a command.\n")
	return b.String()
}

// helpHelp is `dockwatch help --help`.
const helpHelp = `Usage:  dockwatch help [COMMAND]

Show help for a command, or the list of commands.
`

// runHelp prints the help of the named command, or the overview.
func runHelp(_ context.Context, args []string, _ *globalFlags, e env) error {
	if len(args) == 0 {
		fmt.Fprint(e.stdout, topHelp())
		return nil
	}
	if len(args) > 1 {
		return usageErrorf("help takes at most one command, got %d arguments", len(args))
	}
	cmd, ok := lookupCommand(args[0])
	if !ok {
		return usageErrorf("unknown command %q", args[0])
	}
	fmt.Fprint(e.stdout, cmd.help)
	return nil
}
