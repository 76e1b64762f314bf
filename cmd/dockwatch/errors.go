package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dockwatch/dockwatch/internal/docker"
)

// Exit statuses, as docker and most Unix tools use them (130 is what a
// shell reports for a command ended by Ctrl-C).
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// usageError is a mistake in how dockwatch was called; it exits 2, so
// scripts can tell a typo from a daemon that is down.
type usageError struct {
	err error
	// helpCmd is the command whose --help explains the mistake.
	helpCmd string
}

func (e *usageError) Error() string { return e.err.Error() }

func (e *usageError) Unwrap() error { return e.err }

// usageErrorf builds a usageError; the command is filled in by the caller
// that knows it (see withHelp).
func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// withHelp points a usage error at the --help of cmd (the command cobra
// was running), leaving other errors alone.
func withHelp(err error, cmd *cobra.Command) error {
	if ue, ok := errors.AsType[*usageError](err); ok && ue.helpCmd == "" && cmd != nil && cmd.HasParent() {
		ue.helpCmd = strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
	}
	if err != nil && cmd != nil && strings.HasPrefix(err.Error(), "unknown command ") {
		// cobra's own message for `dockwatch top` carries a multi-line hint.
		name, _, _ := strings.Cut(strings.TrimPrefix(err.Error(), "unknown command "), " for ")
		return &usageError{err: fmt.Errorf("unknown command %s", name)}
	}
	return err
}

// report writes the one-line error users see and picks the exit status.
// Multi-line causes are folded so scripts and logs get exactly one line.
func report(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "dockwatch: interrupted")
		return exitInterrupted
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if ue, ok := errors.AsType[*usageError](err); ok {
		help := "dockwatch --help"
		if ue.helpCmd != "" {
			help = "dockwatch " + ue.helpCmd + " --help"
		}
		fmt.Fprintf(stderr, "dockwatch: %s (see '%s')\n", msg, help)
		return exitUsage
	}
	fmt.Fprintf(stderr, "dockwatch: %s%s\n", msg, flagHint(err))
	return exitFailure
}

// flagHints word each TLS fix the docker package names in the CLI's flags
// (a DockerHost's conditions word the same fixes in spec fields).
var flagHints = map[docker.Fix]string{
	docker.FixServerName: "; give --tls-server-name one of the names it lists",
	docker.FixCA:         "; give --tlscacert the CA that signed the daemon's certificate",
	docker.FixUseTLS:     "; add --tlsverify with its certificates, or use an https:// host",
	docker.FixNoTLS:      "; drop the TLS flags and DOCKER_TLS_VERIFY for a plain-HTTP daemon",
}

// flagHint is the flag that fixes err, "" when none is known.
func flagHint(err error) string {
	return flagHints[docker.SuggestedFix(err)]
}
