package dockertest_test

import (
	"fmt"

	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// A program (such as the README demo) drives a daemon through Standalone;
// Close stops the daemon and removes everything it created.
func ExampleStart() {
	tb := dockertest.NewStandalone(nil)
	defer tb.Close()
	d := dockertest.Start(tb, dockertest.Options{TLS: true})
	d.RunBusy(tb, "busy")
	fmt.Println("DOCKER_HOST=" + d.Host)
	fmt.Println("DOCKER_CERT_PATH=" + d.CertDir)
}
