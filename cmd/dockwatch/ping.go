package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/dockwatch/dockwatch/internal/docker"
)

// newPingCommand is `dockwatch ping`.
func newPingCommand(g *globalFlags, e env) *cobra.Command {
	return &cobra.Command{
		Use:   "ping",
		Short: "Check the connection and identify the daemon",
		Long: `Connect to the daemon and print its version, API version, operating system
and the TLS identity dockwatch verified. When the daemon cannot be used, exit
with status 1 and one line on stderr saying why (refused connection, wrong
CA, missing or expired client certificate, server name mismatch, ...).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPing(cmd.Context(), g, e)
		},
	}
}

// runPing checks the connection and identifies the daemon.
func runPing(ctx context.Context, g *globalFlags, e env) error {
	client, err := connect(*g, e)
	if err != nil {
		return err
	}
	defer client.Close()
	info, err := client.Ping(ctx)
	if err != nil {
		return err
	}
	return printPing(e.stdout, client.Endpoint(), info)
}

// connect resolves the connection settings and builds a client; nothing is
// sent yet, so configuration mistakes are reported before any network I/O.
func connect(g globalFlags, e env) (*docker.Client, error) {
	cfg, err := resolveConfig(g, e.getenv)
	if err != nil {
		return nil, err
	}
	client, err := docker.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cfg.Endpoint, err)
	}
	return client, nil
}

// printPing writes what identifies the daemon, one "Key: value" per line.
func printPing(out io.Writer, endpoint string, info docker.DaemonInfo) error {
	peer := "no TLS"
	if info.TLSPeer != "" && !strings.HasSuffix(info.TLSPeer, "(unverified)") {
		peer = info.TLSPeer + " (verified)"
	} else if info.TLSPeer != "" {
		peer = info.TLSPeer
	}
	api := info.APIVersion
	if info.NegotiatedAPIVersion != "" && info.NegotiatedAPIVersion != info.APIVersion {
		api += " (dockwatch speaks " + info.NegotiatedAPIVersion + ")"
	}
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	rows := [][2]string{
		{"Endpoint:", endpoint},
		{"Engine:", engineLine(info)},
		{"Server version:", info.Version},
		{"API version:", api},
		{"OS:", fmt.Sprintf("%s (%s, kernel %s)", info.OS, info.OSType, info.KernelVersion)},
		{"CPUs:", fmt.Sprint(info.NCPU)},
		{"Memory:", units.BytesSize(float64(info.MemTotalBytes))},
		{"TLS peer:", peer},
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\n", r[0], r[1])
	}
	return w.Flush()
}

// engineLine names what serves the API: "Podman 4.3.1", "Docker 20.10.24",
// or unknown when the daemon's /version does not say.
func engineLine(info docker.DaemonInfo) string {
	if info.Engine == "" {
		return "unknown (the daemon's /version does not say)"
	}
	return strings.TrimSpace(info.Engine + " " + info.EngineVersion)
}
