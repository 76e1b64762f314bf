package docker

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Failure is the kind of a failed call, for callers that report kinds
// apart (the controller gives each its own condition reason) and that word
// the fix in their own vocabulary (flags in the CLI, spec fields in a
// DockerHost).
type Failure string

// The failure kinds Classify tells apart.
const (
	// FailureOther: the daemon could not be reached or did not answer.
	FailureOther Failure = ""
	// FailureTLS: TLS could not be set up: a certificate was rejected on
	// either side, or one side spoke TLS and the other did not.
	FailureTLS Failure = "TLS"
	// FailureAPIVersion: the daemon answered, but refuses or cannot serve
	// the API version asked for (a pin too new for it, or a daemon older
	// than dockwatch supports).
	FailureAPIVersion Failure = "APIVersion"
)

// Fix names the setting that most likely fixes a TLS failure.
type Fix string

// Fixes a front-end words in its own terms.
const (
	FixNone Fix = ""
	// FixServerName: verify against one of the names the daemon's
	// certificate lists (spec.tls.serverName, --tls-server-name).
	FixServerName Fix = "ServerName"
	// FixCA: trust the CA that signed the daemon's certificate.
	FixCA Fix = "CA"
	// FixClientCert: present a client certificate the daemon accepts.
	FixClientCert Fix = "ClientCert"
	// FixUseTLS: the daemon speaks TLS; so must the client.
	FixUseTLS Fix = "UseTLS"
	// FixNoTLS: the daemon speaks plain HTTP; the client must too.
	FixNoTLS Fix = "NoTLS"
)

// Classify says what kind of failure err is.
func Classify(err error) Failure {
	switch {
	case err == nil:
		return FailureOther
	case errors.Is(err, ErrAPITooOld) || isVersionRefusal(err):
		return FailureAPIVersion
	case SuggestedFix(err) != FixNone || TLSFailureCause(err) != "":
		return FailureTLS
	}
	return FailureOther
}

// isVersionRefusal recognises the daemon's answer to a pinned version it
// does not serve ("client version 1.99 is too new. Maximum supported API
// version is 1.41").
func isVersionRefusal(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "is too new. Maximum supported API version") ||
		strings.Contains(msg, "is too old. Minimum supported API version")
}

// SuggestedFix names the setting that most likely fixes a TLS failure,
// FixNone when err is none or nothing specific is known.
func SuggestedFix(err error) Fix {
	if err == nil {
		return FixNone
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return FixServerName
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return FixCA
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return FixNoTLS
	}
	if isPlaintextToTLS(err) {
		return FixUseTLS
	}
	if opErr, ok := errors.AsType[*OpError](err); ok && strings.Contains(opErr.Cause, "client certificate") {
		return FixClientCert
	}
	if netErr, ok := errors.AsType[*net.OpError](err); ok && netErr.Op == "remote error" {
		return FixClientCert
	}
	return FixNone
}

// isPlaintextToTLS recognises a TLS daemon's answer to a plain-HTTP
// request. No handshake took place, so nothing about it "failed".
func isPlaintextToTLS(err error) bool {
	return err != nil && strings.Contains(err.Error(), "HTTP request to an HTTPS server")
}

// certificateNames lists the names a rejected server certificate is valid
// for, "" when err carries none.
func certificateNames(err error) string {
	e, ok := errors.AsType[x509.HostnameError](err)
	if !ok || e.Certificate == nil {
		return ""
	}
	names := append([]string{}, e.Certificate.DNSNames...)
	for _, ip := range e.Certificate.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf(" (it lists %s)", strings.Join(names, ", "))
}
