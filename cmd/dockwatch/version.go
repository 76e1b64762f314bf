package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module version of `go install`, or is "dev".
var version = ""

// versionHelp is `dockwatch version --help`.
const versionHelp = `Usage:  dockwatch version

Show the dockwatch version, the commit it was built from and the Go
toolchain. It does not contact the daemon (use 'dockwatch ping' for that).
`

// runVersion prints one line identifying this build.
func runVersion(_ context.Context, args []string, g *globalFlags, e env) error {
	fs := newFlagSet("version")
	if err := parseCommand(fs, args, g, versionHelp, e); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, versionLine(debug.ReadBuildInfo()))
	return nil
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
