// Command dockwatch reads container utilization from one Docker daemon, as
// `docker stats --no-stream` shows it, using the same connection flags and
// DOCKER_* variables as the docker CLI (so `eval $(docker-machine env NAME)`
// just works). It only reads: the client refuses every write request.
//
//	dockwatch [CONNECTION OPTIONS] COMMAND [OPTIONS]
//
// Commands: stats, ping, version. Exit status 0 on success, 1 when the
// daemon cannot be used (one line on stderr says why), 2 for usage errors.
package main

import (
	"context"
	"errors"
	"flag"
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

// command is one dockwatch subcommand.
type command struct {
	name, summary, help string
	run                 func(ctx context.Context, args []string, g *globalFlags, e env) error
}

// commands lists the subcommands in the order help shows them. It is a
// function because the help command refers back to the list.
func commands() []command {
	return []command{
		{name: "stats", summary: "Show CPU, memory, network and block I/O of containers", help: statsHelp, run: runStats},
		{name: "ping", summary: "Check the connection and identify the daemon", help: pingHelp, run: runPing},
		{name: "version", summary: "Show the dockwatch version", help: versionHelp, run: runVersion},
		{name: "help", summary: "Show help for a command", help: helpHelp, run: runHelp},
	}
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, e env) int {
	return report(dispatch(ctx, args, e), e.stderr)
}

// dispatch parses the connection options before the command name, then
// hands the rest to the command.
func dispatch(ctx context.Context, args []string, e env) error {
	g := newGlobalFlags()
	fs := newFlagSet("dockwatch")
	g.register(fs)
	if err := parseFlags(fs, args, topHelp(), e); err != nil {
		return err
	}
	g.noteSet(fs)
	if fs.NArg() == 0 {
		return usageErrorf("no command given")
	}
	cmd, ok := lookupCommand(fs.Arg(0))
	if !ok {
		return usageErrorf("unknown command %q", fs.Arg(0))
	}
	return withHelp(cmd.run(ctx, fs.Args()[1:], g, e), cmd.name)
}

// lookupCommand finds a subcommand by name.
func lookupCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// newGlobalFlags returns the connection settings with their defaults.
func newGlobalFlags() *globalFlags {
	return &globalFlags{timeout: defaultTimeout}
}

// newFlagSet makes a FlagSet that reports errors to us instead of printing
// usage and exiting, so every error leaves as one line from report.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args; -h/--help prints help to stdout and ends the
// run with status 0, as docker does.
func parseFlags(fs *flag.FlagSet, args []string, help string, e env) error {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		_, _ = io.WriteString(e.stdout, help)
		return errHelpShown
	default:
		return &usageError{err: err}
	}
}

// parseCommand parses a subcommand's arguments: its own flags plus the
// connection flags, and no positional arguments.
func parseCommand(fs *flag.FlagSet, args []string, g *globalFlags, help string, e env) error {
	g.register(fs)
	if err := parseFlags(fs, args, help, e); err != nil {
		return err
	}
	g.noteSet(fs)
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
