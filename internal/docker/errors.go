package docker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"
)

// ErrAPITooOld is wrapped by Ping and Snapshot when the daemon speaks an API
// older than MinAPIVersion.
var ErrAPITooOld = errors.New("daemon API version too old")

// ErrContainerGone marks a container that was listed but vanished or stopped
// before its stats were read; it is skipped, never an error for the host.
var ErrContainerGone = errors.New("container vanished or stopped during the poll")

// OpError is the error every Client call returns: what was being done, on
// which endpoint, a short diagnosis when one is recognised, and the cause.
// Its text is one sentence an operator can act on, for example
// "list containers on tcp://127.0.0.1:2376: connection refused (...): dial tcp ...".
type OpError struct {
	// Op is what was being done, such as "list containers".
	Op string
	// Endpoint is the daemon endpoint as configured.
	Endpoint string
	// Cause is a short diagnosis (a TLS handshake cause, a timeout, a
	// refused connection); "" when nothing specific was recognised.
	Cause string
	// Err is the underlying error: the transport's own error when there was
	// one (the Docker client replaces some with generic texts), else the
	// Docker client's.
	Err error
	// clientErr is the Docker client's error, kept so errors.Is/As still
	// see its typed errors (not found, connection failed).
	clientErr error
}

func (e *OpError) Error() string {
	if e.Cause != "" {
		return fmt.Sprintf("%s on %s: %s: %v", e.Op, e.Endpoint, e.Cause, e.Err)
	}
	return fmt.Sprintf("%s on %s: %v", e.Op, e.Endpoint, e.Err)
}

// Unwrap exposes both the transport and the Docker client error.
func (e *OpError) Unwrap() []error {
	if e.clientErr == nil || e.clientErr == e.Err {
		return []error{e.Err}
	}
	return []error{e.Err, e.clientErr}
}

// newOpError builds the error of a failed call. raw is what the transport
// saw (nil if nothing), parentErr the caller's context error, which tells a
// per-call timeout apart from the caller giving up.
func newOpError(op, endpoint string, timeout time.Duration, err, raw, parentErr error) *OpError {
	detail := err
	if raw != nil {
		detail = raw
	}
	return &OpError{
		Op:        op,
		Endpoint:  endpoint,
		Cause:     diagnose(err, raw, timeout, parentErr),
		Err:       detail,
		clientErr: err,
	}
}

// diagnose names the most likely cause of a failed call in a few words.
func diagnose(err, raw error, timeout time.Duration, parentErr error) string {
	for _, e := range []error{raw, err} {
		if isPlaintextToTLS(e) {
			return "the daemon expects TLS, but the request was sent without it (no TLS handshake took place)"
		}
		if cause := TLSFailureCause(e); cause != "" {
			return "TLS handshake failed: " + cause
		}
	}
	probe := err
	if raw != nil {
		probe = raw
	}
	if parentErr == nil && isTimeout(probe) {
		return fmt.Sprintf("no answer within %s (daemon hung or overloaded, or a firewall drops packets)", timeout)
	}
	return networkCause(probe)
}

// isTimeout reports a deadline hit by the call's own timeout.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	netErr, ok := errors.AsType[net.Error](err)
	return ok && netErr.Timeout()
}

// networkCause recognises the connection failures operators meet most.
func networkCause(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is the daemon running and listening on that address?)"
	case errors.Is(err, syscall.ENOENT):
		return "socket not found (is the daemon running, and is the path right?)"
	case errors.Is(err, syscall.EACCES):
		return "permission denied on the socket (run as root or as a member of the docker group)"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return "host name does not resolve"
	}
	return ""
}

// TLSFailureCause classifies a TLS handshake error into a short cause such
// as "server certificate signed by unknown authority (wrong or missing CA)".
// It returns "" when err is not a TLS failure. Causes on our side come from
// x509 verification errors; causes on the daemon's side arrive as TLS alerts.
func TLSFailureCause(err error) string {
	if err == nil {
		return ""
	}
	if cause := serverCertificateCause(err); cause != "" {
		return cause
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return "the daemon did not answer with TLS (is it a plain-HTTP endpoint? then use tcp:// without TLS)"
	}
	if cause := alertCause(err); cause != "" {
		return cause
	}
	if isPlaintextToTLS(err) {
		return "the daemon expects TLS, but the request was sent without it"
	}
	return ""
}

// serverCertificateCause explains why we rejected the daemon's certificate.
func serverCertificateCause(err error) string {
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return "server certificate signed by unknown authority (wrong or missing CA)"
	}
	if e, ok := errors.AsType[x509.HostnameError](err); ok {
		return fmt.Sprintf("server name mismatch: the daemon's certificate is not valid for %q%s", e.Host, certificateNames(err))
	}
	if e, ok := errors.AsType[x509.CertificateInvalidError](err); ok {
		if e.Reason == x509.Expired {
			return "server certificate expired or not yet valid (check its dates and the clocks)"
		}
		return "server certificate invalid: " + e.Error()
	}
	if e, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return "server certificate rejected: " + e.Err.Error()
	}
	return ""
}

// alertCauses maps the alerts a daemon sends when it rejects us.
var alertCauses = map[string]string{
	"tls: certificate required":           "the daemon requires a client certificate and none was given (cert.pem/key.pem)",
	"tls: bad certificate":                "the daemon rejected the client certificate (bad certificate: missing, or not signed by a CA it trusts)",
	"tls: expired certificate":            "the daemon rejected the client certificate: certificate expired",
	"tls: unknown certificate authority":  "the daemon does not trust the CA that signed the client certificate",
	"tls: certificate revoked":            "the daemon rejected the client certificate: revoked",
	"tls: handshake failure":              "the daemon aborted the handshake (no common TLS version or cipher, or a client certificate is required)",
	"tls: protocol version not supported": "no TLS version in common with the daemon",
}

// alertCause reads a TLS alert received from the daemon. Go exposes received
// alerts only as a net.OpError with Op "remote error" and an unexported
// error type, so the alert's text is the key.
func alertCause(err error) string {
	opErr, ok := errors.AsType[*net.OpError](err)
	if !ok || opErr.Op != "remote error" || opErr.Err == nil {
		return ""
	}
	alert := opErr.Err.Error()
	if cause, known := alertCauses[alert]; known {
		return cause
	}
	return "the daemon aborted the TLS handshake: " + strings.TrimPrefix(alert, "tls: ")
}
