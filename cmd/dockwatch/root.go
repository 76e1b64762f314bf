package main

import (
	"fmt"
	"regexp"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// rootLong is the description `dockwatch --help` starts with.
const rootLong = `Read container utilization from a Docker daemon, as 'docker stats' shows it.
dockwatch only reads; it never changes the daemon.

Connection flags are docker's (-H, --tlsverify, --tlscacert, --tlscert,
--tlskey, DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), plus one flag for
each connection setting a DockerHost can state (--tls-server-name for
spec.tls.serverName, --tls-insecure-skip-verify for spec.tls.insecureSkipVerify,
--api-version for spec.apiVersion), so a host can be tried here first.
CERT_DIR is --tls-dir, else DOCKER_CERT_PATH, else DOCKER_CONFIG, else ~/.docker.
An https:// host always uses TLS. Flags win over environment variables.`

// usageTemplate is cobra's default with docker's words: the persistent
// flags are the connection options.
const usageTemplate = `Usage:{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if .HasAvailableSubCommands}}

Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Options:
{{.LocalNonPersistentFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Connection options:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{else if not .HasParent}}

Connection options:
{{.PersistentFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableSubCommands}}

Run '{{.CommandPath}} COMMAND --help' for more information on a command.{{end}}
`

// newRootCommand builds the command tree. The connection flags are
// persistent on the root, so `dockwatch -H x ping` and `dockwatch ping -H x`
// both work; issue 11's `stats --format` and streaming slot into statsFlags.
func newRootCommand(e env) *cobra.Command {
	g := newGlobalFlags()
	root := &cobra.Command{
		Use:           "dockwatch",
		Short:         "Read container utilization from a Docker daemon",
		Long:          rootLong,
		Version:       versionLine(debug.ReadBuildInfo()),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErrorf("no command given")
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			g.noteSet(cmd.Flags())
			return nil
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true // ours is newCompletionCommand
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetUsageTemplate(usageTemplate)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: flagError(err)} })
	root.Flags().BoolP("version", "v", false, "Print the dockwatch version and exit")
	g.register(root.PersistentFlags())
	root.AddCommand(newStatsCommand(g, e), newPingCommand(g, e), newVersionCommand(), newCompletionCommand())
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			c.Short = "Show help for a command"
		}
	}
	return root
}

// noArgs rejects positional arguments with a usage error that names the
// first one, and an unknown command name as such.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if !cmd.HasParent() {
		return usageErrorf("unknown command %q", args[0])
	}
	return usageErrorf("unexpected argument %q", args[0])
}

// missingUnit matches pflag's message for a duration given without a unit.
var missingUnit = regexp.MustCompile(`^invalid argument "([^"]*)" for "([^"]*)" flag: time: missing unit in duration`)

// shorthandRun matches pflag's message for a long flag typed with one dash.
var shorthandRun = regexp.MustCompile(`^unknown shorthand flag: '.' in -([a-z][a-z-]+)`)

// flagError turns pflag's messages into sentences that say what to type:
// a duration without a unit, or a long flag written with one dash.
func flagError(err error) error {
	msg := err.Error()
	if m := missingUnit.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s %s needs a unit, as in %ss", m[2], m[1], m[1])
	}
	if m := shorthandRun.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s (long flags take two dashes: --%s)", msg, m[1])
	}
	return err
}
