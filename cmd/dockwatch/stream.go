package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/dockwatch/dockwatch/internal/docker"
)

// clearScreen clears a terminal and homes its cursor, as docker stats does
// before each redraw. Nothing else is sent: no raw mode, no hidden cursor,
// so an interrupted stream leaves the terminal as it found it.
const clearScreen = "\033[2J\033[H"

// renderFunc prints one table (or --format output) of containers.
type renderFunc func(out io.Writer, containers []docker.ContainerStats, osType string) error

// streamStats redraws the containers every interval until ctx ends (Ctrl-C
// or SIGTERM), which is a clean exit. One client serves every iteration, so
// from the second table on each container has a CPU figure. On a terminal
// every table replaces the last; elsewhere the tables follow each other.
func streamStats(ctx context.Context, client *docker.Client, sel docker.Selection, names []string,
	interval time.Duration, e env, render renderFunc) error {
	tty := isTerminal(e.stdout)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if err := drawOnce(ctx, client, sel, names, tty, e, render); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// drawOnce takes one snapshot and writes its table in a single write, so a
// redraw never shows half a table.
func drawOnce(ctx context.Context, client *docker.Client, sel docker.Selection, names []string,
	tty bool, e env, render renderFunc) error {
	snap, err := client.Snapshot(ctx, sel)
	if err != nil {
		return err
	}
	picked, err := pickContainers(snap.Containers, names)
	if err != nil {
		return err
	}
	warnSkipped(e.stderr, snap.Skipped)
	var buf bytes.Buffer
	if tty {
		buf.WriteString(clearScreen)
	}
	if err := render(&buf, picked, snap.Daemon.OSType); err != nil {
		return err
	}
	_, err = e.stdout.Write(buf.Bytes())
	return err
}

// isTerminal reports whether out is a terminal (not a pipe or a file).
func isTerminal(out io.Writer) bool {
	f, ok := out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
