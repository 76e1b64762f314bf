package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module version of `go install`, or is "dev".
var version = ""

// newVersionCommand is `dockwatch version`; `dockwatch --version` and
// `-v` print the same line.
func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show the dockwatch version",
		Long: `Show the dockwatch version, the commit it was built from and the Go
toolchain. It does not contact the daemon (use 'dockwatch ping' for that).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionLine(debug.ReadBuildInfo()))
			return nil
		},
	}
}

// versionLine renders "dockwatch version V (commit C, goX os/arch)" from
// whatever the build recorded; a missing part is left out.
func versionLine(info *debug.BuildInfo, ok bool) string {
	v, commit := version, ""
	if ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		commit = buildSetting(info, "vcs.revision")
		if len(commit) > 12 {
			commit = commit[:12]
		}
		if commit != "" && buildSetting(info, "vcs.modified") == "true" {
			commit += "-dirty"
		}
	}
	if v == "" {
		v = "dev"
	}
	detail := fmt.Sprintf("%s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if commit != "" {
		detail = "commit " + commit + ", " + detail
	}
	return fmt.Sprintf("dockwatch version %s (%s)", v, detail)
}

// buildSetting returns one -buildvcs setting, "" when absent.
func buildSetting(info *debug.BuildInfo, key string) string {
	for _, s := range info.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}
