// Command dockwatch reads container utilization from one Docker daemon, as
// `docker stats` shows it, using the same connection flags and
// DOCKER_* variables as the docker CLI (so `eval $(docker-machine env NAME)`
// just works). It only reads: the client refuses every write request.
//
//	dockwatch [CONNECTION OPTIONS] COMMAND [OPTIONS]
//
// Commands: stats, ping, version, completion, help. Flags are POSIX style
// (cobra/pflag, as docker and kubectl): -H x, --host=x, and they may come
// before or after the command name. Exit status 0 on success, 1 when the
// daemon cannot be used (one line on stderr says why), 2 for usage errors.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// main wires the process to run; everything else is testable in-process.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{getenv: os.Getenv, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// env is what a run reads from and writes to outside its arguments, so
// tests can give each run its own environment and buffers.
type env struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, e env) int {
	root := newRootCommand(e)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	return report(withHelp(err, cmd), e.stderr)
}
